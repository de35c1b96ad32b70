/**
 * The semantic checks that follow schema validation, and the resolved {@link Config}:
 * registry hosts normalised, references parsed once (sources without tag or digest),
 * exactly one of tags / tagPolicy and of registry / layout, no duplicate image entries,
 * defaults merged, relative paths made absolute against the config file's directory.
 */
import * as path from 'node:path';
import { InvalidReferenceError, redactReference } from '../errors';
import { ImageRef, parseReference } from '../oci/reference';
import type { AcrTargetConfig, Config, ImageConfig, RegistryConfig, TargetConfig } from './config';
import type { PathSegment } from './config-path';
import { formatPath } from './config-path';
import { checkImmutableTagTemplate, DEFAULT_IMMUTABLE_TAG } from './immutable-tag';
import { mergeGates } from './merge-gates';
import { registryName, resolveDependents } from './resolve-dependents';
import { resolveWebhooks } from './resolve-webhooks';
import type { ConfigDocument, ImageDocument, TargetDocument } from './schema';
import type { ConfigIssue } from './schema-issues';
import { cacheRuleIssues, cacheRules, resolveUpstreamCache, routeOf, type UpstreamCacheConfig } from './upstream-cache';

/** Defaults of the target. */
const DEFAULTS = {
  /** Readable (the moving tag's name) and unique (12 hex digits, as short git hashes). */
  immutableTag: DEFAULT_IMMUTABLE_TAG,
  /** An immutable tag that can be overwritten is not immutable. */
  lockImmutableTags: true,
};

/** Resolves a schema-valid document; problems go into `issues` (the result is only meaningful when there are none). */
export function resolveConfig(doc: ConfigDocument, file: string, hash: string, issues: ConfigIssue[]): Config {
  const dir = path.dirname(file);
  const registries = resolveRegistries(doc.registries ?? {}, issues);
  const target = resolveTarget(doc.target, dir, issues);
  const upstreamCache = doc.upstreamCache ? resolveUpstreamCache(doc.upstreamCache, target.kind === 'registry' ? target.registry : undefined, issues) : undefined;
  const images: ImageConfig[] = [];
  const ids = new Map<string, number>();
  doc.images.forEach((image, index) => {
    const resolved = resolveImage(image, index, doc, target, dir, issues);
    if (!resolved) return;
    const earlier = ids.get(resolved.id);
    if (earlier !== undefined) {
      issues.push({
        path: ['images', index],
        message: `expected each image once, found a duplicate of images[${earlier}] (same source ${resolved.source.name} and target repository ${resolved.target.repository}); merge their tags`,
      });
      return;
    }
    ids.set(resolved.id, index);
    images.push(upstreamCache ? withCacheRoute(resolved, upstreamCache, issues) : resolved);
  });
  if (upstreamCache) checkUpstreamCache(upstreamCache, target, images, issues);
  return { file, dir, registries, target, images, webhooks: resolveWebhooks(doc.webhooks), hash, ...(upstreamCache ? { upstreamCache } : {}) };
}

/** The image's cache route; a source the cache cannot serve is an error under `required: true`. */
function withCacheRoute(image: ImageConfig, cache: UpstreamCacheConfig, issues: ConfigIssue[]): ImageConfig {
  const cacheRoute = routeOf(cache, image.source);
  if (cacheRoute.kind === 'bypass' && cache.required) {
    issues.push({ path: ['images', image.index, 'source'], message: `expected a source the upstream cache serves (upstreamCache.required is true), found ${image.source.name}: ${cacheRoute.reason}` });
  }
  return { ...image, cacheRoute };
}

/** Service limits of the cache rules, and what ARM import from the cache needs. */
function checkUpstreamCache(cache: UpstreamCacheConfig, target: TargetConfig, images: ImageConfig[], issues: ConfigIssue[]): void {
  issues.push(...cacheRuleIssues(cacheRules(cache, images.map((i) => i.source))));
  const routed = images.some((i) => i.cacheRoute?.kind === 'cache');
  if (routed && target.kind === 'registry' && target.acr && cache.resourceId === undefined) {
    issues.push({ path: ['upstreamCache', 'resourceId'], message: 'expected the quarantine registry\'s resource id with target.acr: ARM import reads the cache by resource id, with the app\'s identity and no upstream credential' });
  }
}

function resolveRegistries(listed: NonNullable<ConfigDocument['registries']>, issues: ConfigIssue[]): Record<string, RegistryConfig> {
  const out: Record<string, RegistryConfig> = {};
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(listed)) {
    const at: PathSegment[] = ['registries', key];
    let host: string;
    try {
      host = ImageRef.of({ registry: key, repository: 'probe' }).registry;
    } catch {
      issues.push({ path: at, message: `expected a registry host[:port] such as docker.io or 127.0.0.1:5000, found ${JSON.stringify(redactReference(key))}` });
      continue;
    }
    const other = keyOf.get(host);
    if (other !== undefined) {
      issues.push({ path: at, message: `expected each registry once, found ${JSON.stringify(key)} and ${JSON.stringify(other)}, which are the same host ${host}` });
      continue;
    }
    keyOf.set(host, key);
    if ((value.username === undefined) !== (value.password === undefined && value.passwordSecret === undefined)) {
      issues.push({ path: at, message: 'expected username and password (or passwordSecret) together, found only one of them' });
    }
    if (value.password !== undefined && value.passwordSecret !== undefined) {
      issues.push({ path: [...at, 'passwordSecret'], message: 'expected one of password or passwordSecret, found both' });
    }
    if (value.auth !== undefined && (value.username !== undefined || value.password !== undefined || value.passwordSecret !== undefined)) {
      issues.push({ path: [...at, 'auth'], message: `expected either auth: ${value.auth} or a username and password, found both` });
    }
    if (value.audience !== undefined && value.auth !== 'azure') {
      issues.push({ path: [...at, 'audience'], message: 'expected audience only with auth: azure' });
    }
    out[host] = { ...value };
  }
  return out;
}

function resolveTarget(target: TargetDocument, dir: string, issues: ConfigIssue[]): TargetConfig {
  const immutableTag = target.immutableTag ?? DEFAULTS.immutableTag;
  const problem = checkImmutableTagTemplate(immutableTag);
  if (problem) issues.push({ path: ['target', 'immutableTag'], message: problem });
  if ((target.registry === undefined) === (target.layout === undefined)) {
    issues.push({ path: ['target'], message: `expected exactly one of registry or layout, found ${target.registry === undefined ? 'neither' : 'both'}` });
  }
  if (target.layout !== undefined) {
    if (target.acr) issues.push({ path: ['target', 'acr'], message: 'expected acr only with a registry target (ARM import cannot write a layout directory), found it with layout' });
    return { kind: 'layout', dir: path.resolve(dir, target.layout), immutableTag };
  }
  let registry = target.registry ?? 'invalid.invalid';
  try {
    if (registry.includes('/')) throw new Error('has a path');
    registry = ImageRef.of({ registry, repository: 'probe' }).registry;
  } catch {
    issues.push({ path: ['target', 'registry'], message: `expected a registry host[:port] such as contosobase.azurecr.io (the repository goes in images[].repository), found ${JSON.stringify(redactReference(registry))}` });
    registry = 'invalid.invalid'; // reported once, here: the images' target references are not blamed for it
  }
  const acr = target.acr ? resolveAcr(target.acr) : undefined;
  return { kind: 'registry', registry, immutableTag, ...(acr ? { acr } : {}) };
}

function resolveAcr(acr: NonNullable<TargetDocument['acr']>): AcrTargetConfig {
  const parts = acr.resourceId.split('/');
  // /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>
  return {
    resourceId: acr.resourceId,
    subscriptionId: parts[2],
    resourceGroup: parts[4],
    registryName: registryName(acr.resourceId),
    lockImmutableTags: acr.lockImmutableTags ?? DEFAULTS.lockImmutableTags,
  };
}

function resolveImage(image: ImageDocument, index: number, doc: ConfigDocument, target: TargetConfig, dir: string, issues: ConfigIssue[]): ImageConfig | undefined {
  const at: PathSegment[] = ['images', index];
  const before = issues.length;
  const source = parseSource(image.source, dir, [...at, 'source'], issues);

  if ((image.tags === undefined) === (image.tagPolicy === undefined)) {
    issues.push({ path: at, message: `expected exactly one of tags or tagPolicy, found ${image.tags === undefined ? 'neither' : 'both'}` });
  }
  const policy = image.tagPolicy;
  if (policy && policy.allow === undefined && policy.semver === undefined && policy.latest === undefined) {
    issues.push({ path: [...at, 'tagPolicy'], message: 'expected at least one of allow, semver or latest (a policy must narrow the tag list), found none' });
  }
  reportDuplicates(image.tags, [...at, 'tags'], 'tag', issues);
  reportDuplicates(image.platforms, [...at, 'platforms'], 'platform', issues);

  let targetRef: ImageRef | undefined;
  const repository = image.repository ?? source?.repository;
  if (repository !== undefined) {
    try {
      targetRef = target.kind === 'layout' ? ImageRef.of({ scheme: 'layout', registry: target.dir, repository }) : ImageRef.of({ registry: target.registry, repository });
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err;
      issues.push({ path: [...at, 'repository'], message: `expected a repository path such as base/node, found ${JSON.stringify(redactReference(repository))} (${reason(err)})` });
    }
  }
  const dependents = resolveDependents(
    [
      ...(doc.defaults?.dependents ?? []).map((d, i) => ({ doc: d, path: ['defaults', 'dependents', i] as PathSegment[] })),
      ...(image.dependents ?? []).map((d, i) => ({ doc: d, path: [...at, 'dependents', i] })),
    ],
    issues,
  );
  if (issues.length > before || !source || !targetRef) return undefined;
  return {
    id: `${source.name}→${targetRef.repository}`,
    index,
    source,
    target: targetRef,
    ...(image.tags ? { tags: [...image.tags] } : {}),
    ...(policy ? { tagPolicy: { allow: policy.allow ?? [], deny: policy.deny ?? [], semver: policy.semver, latest: policy.latest } } : {}),
    immutableTags: image.immutableTags ?? [],
    ...(image.platforms ? { platforms: [...image.platforms] } : {}),
    ...(image.allowUpstreamRollback ? { allowUpstreamRollback: true } : {}),
    gates: mergeGates(doc.defaults?.gates, image.gates, dir),
    dependents,
  };
}

/** Parses a source reference: a repository without tag or digest; a relative layout directory is relative to the config. */
function parseSource(input: string, dir: string, at: PathSegment[], issues: ConfigIssue[]): ImageRef | undefined {
  // Never echo credentials back: user:pass@host/repo (or a URL with them) is refused without showing it.
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/]*@/i.test(input) && !input.startsWith('oci:')) {
    issues.push({ path: at, message: 'expected a reference without credentials (put them under registries:), found one with user:password@ in it' });
    return undefined;
  }
  let text = input;
  if (input.startsWith('oci:')) {
    const body = input.slice(4);
    const split = body.lastIndexOf('//');
    if (split > 0 && !path.isAbsolute(body.slice(0, split))) text = `oci:${path.resolve(dir, body.slice(0, split))}${body.slice(split)}`;
  }
  try {
    const ref = parseReference(text, { defaultTag: false });
    if (ref.tag !== undefined || ref.digest !== undefined) {
      issues.push({ path: at, message: `expected a repository without tag or digest (tags go in tags: or tagPolicy:), found ${JSON.stringify(redactReference(input))}` });
      return undefined;
    }
    return ref;
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    issues.push({ path: at, message: `expected an image repository such as docker.io/library/node, found ${JSON.stringify(redactReference(input))} (${reason(err)})` });
    return undefined;
  }
}

function reportDuplicates(values: string[] | undefined, at: PathSegment[], what: string, issues: ConfigIssue[]): void {
  const seen = new Map<string, number>();
  values?.forEach((value, i) => {
    const first = seen.get(value);
    if (first !== undefined) issues.push({ path: [...at, i], message: `expected each ${what} once, found ${JSON.stringify(value)} again (also at ${formatPath([...at, first])})` });
    else seen.set(value, i);
  });
}

/** The reason part of an InvalidReferenceError (its message is `invalid reference "<input>": <reason>`). */
function reason(err: InvalidReferenceError): string {
  const m = /^invalid reference ".*?": (.*)$/s.exec(err.message);
  return m ? m[1] : err.message;
}
