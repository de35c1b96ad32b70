/**
 * `upstreamCache:` (issue #22): a quarantine registry that is a pull-through cache of the
 * upstreams, so that a candidate's manifests and blobs are read from upstream once.
 *
 * Rules of ACR Artifact Cache this follows (learn.microsoft.com/azure/container-registry/artifact-cache-overview,
 * checked 2026-12 in MicrosoftDocs/azure-management-docs):
 * - supported upstreams: Docker Hub (authenticated pulls only: a credential set), Microsoft
 *   Artifact Registry (MCR) and ECR Public (unauthenticated only), GHCR, Quay, registry.k8s.io
 *   and Google Container Registry (both); anything else is not served;
 * - at most 1,000 cache rules per registry; rules may not overlap; a rule's target repository
 *   must not exist in the registry when the rule is created.
 * basegate writes one static rule per tracked source repository, named `<source host>/<repository>`
 * in the cache (`docker.io/library/node`): readable, one-to-one, never overlapping. A cache that
 * keeps names (`repository: same`, Debian's docker-registry with `proxy.remoteurl`) serves the
 * one upstream it proxies.
 * A source the cache cannot serve is read from upstream with a notice (check, status), or refused
 * under `required: true`.
 */
import { createHash } from 'node:crypto';
import { ImageRef } from '../oci/reference';
import type { PathSegment } from './config-path';
import type { UpstreamCacheDocument } from './schema';
import type { ConfigIssue } from './schema-issues';

/** Upstream hosts ACR Artifact Cache serves, with what it needs from each (artifact-cache-overview, "Upstream support"). */
export const ARTIFACT_CACHE_UPSTREAMS: Readonly<Record<string, { name: string; credentials: 'required' | 'none' | 'optional' }>> = {
  'docker.io': { name: 'Docker Hub', credentials: 'required' },
  'mcr.microsoft.com': { name: 'Microsoft Artifact Registry', credentials: 'none' },
  'public.ecr.aws': { name: 'ECR Public', credentials: 'none' },
  'ghcr.io': { name: 'GitHub Container Registry', credentials: 'optional' },
  'quay.io': { name: 'Quay', credentials: 'optional' },
  'registry.k8s.io': { name: 'registry.k8s.io', credentials: 'optional' },
  'gcr.io': { name: 'Google Container Registry', credentials: 'optional' },
};

/** ACR's limit of cache rules per registry (artifact-cache-overview, "Current limitations"). */
export const MAX_CACHE_RULES = 1000;

/** `upstreamCache:` resolved. */
export interface UpstreamCacheConfig {
  /** Registry host of the cache. */
  registry: string;
  repository: 'acr' | 'same';
  /** With `same`: the upstream host it proxies. */
  upstream?: string;
  required: boolean;
  /** ARM id of the quarantine registry (ARM import reads from it by resource id). */
  resourceId?: string;
}

/** Where one image's candidates are read: through the cache (`ref`, its repository there), or from upstream with the reason. */
export type ImageCacheRoute = { kind: 'cache'; ref: ImageRef } | { kind: 'bypass'; reason: string };

/** One ACR cache rule (Microsoft.ContainerRegistry/registries/cacheRules). */
export interface CacheRule {
  /** Rule name: 5-50 of `[A-Za-z0-9-]` (the cacheRules REST spec's pattern). */
  name: string;
  /** `docker.io/library/node`: the upstream repository, as ACR wants it. */
  sourceRepository: string;
  /** Repository in the quarantine registry. */
  targetRepository: string;
  /** The upstream needs the credential set of its host (Docker Hub). */
  credentials: 'required' | 'none' | 'optional';
}

/** Resolves the section; problems go into `issues`. `targetRegistry` is the base registry host (undefined for a layout target). */
export function resolveUpstreamCache(doc: UpstreamCacheDocument, targetRegistry: string | undefined, issues: ConfigIssue[]): UpstreamCacheConfig | undefined {
  const at: PathSegment[] = ['upstreamCache'];
  let registry: string;
  try {
    if (doc.registry.includes('/')) throw new Error('has a path');
    registry = ImageRef.of({ registry: doc.registry, repository: 'probe' }).registry;
  } catch {
    issues.push({ path: [...at, 'registry'], message: `expected a registry host[:port] such as contosoquarantine.azurecr.io, found ${JSON.stringify(doc.registry)}` });
    return undefined;
  }
  if (registry === targetRegistry) {
    issues.push({ path: [...at, 'registry'], message: `expected a quarantine registry apart from the base registry ${targetRegistry} (it holds unvetted content; nothing may build FROM it)` });
  }
  const repository = doc.repository ?? 'acr';
  let upstream: string | undefined;
  if (repository === 'same' && doc.upstream === undefined) issues.push({ path: [...at, 'upstream'], message: 'expected upstream (the one host the cache proxies, its proxy.remoteurl) with repository: same' });
  if (repository === 'acr' && doc.upstream !== undefined) issues.push({ path: [...at, 'upstream'], message: 'expected upstream only with repository: same (an ACR cache serves the upstreams its rules name)' });
  if (doc.upstream !== undefined) upstream = ImageRef.of({ registry: doc.upstream, repository: 'probe' }).registry;
  if (doc.resourceId !== undefined && registry.endsWith('.azurecr.io')) {
    const name = doc.resourceId.split('/').pop()!.toLowerCase();
    if (`${name}.azurecr.io` !== registry.toLowerCase()) issues.push({ path: [...at, 'resourceId'], message: `expected the resource id of ${registry}, found one of registry ${name}` });
  }
  return { registry, repository, upstream, required: doc.required ?? false, ...(doc.resourceId !== undefined ? { resourceId: doc.resourceId } : {}) };
}

/** Where the candidates of an image with this source are read. */
export function routeOf(cache: UpstreamCacheConfig, source: ImageRef): ImageCacheRoute {
  if (source.scheme === 'layout') return { kind: 'bypass', reason: 'an OCI layout source is read from disk' };
  if (cache.repository === 'same') {
    if (source.registry !== cache.upstream) return { kind: 'bypass', reason: `the cache ${cache.registry} proxies ${cache.upstream} only` };
    return { kind: 'cache', ref: ImageRef.of({ registry: cache.registry, repository: source.repository }) };
  }
  if (!ARTIFACT_CACHE_UPSTREAMS[source.registry]) {
    return { kind: 'bypass', reason: `ACR Artifact Cache does not serve ${source.registry} (it serves ${Object.keys(ARTIFACT_CACHE_UPSTREAMS).join(', ')})` };
  }
  return { kind: 'cache', ref: ImageRef.of({ registry: cache.registry, repository: `${source.registry}/${source.repository}` }) };
}

/** The cache rules an ACR quarantine registry needs for these sources: one static rule per source repository. */
export function cacheRules(cache: UpstreamCacheConfig, sources: readonly ImageRef[]): CacheRule[] {
  if (cache.repository !== 'acr') return [];
  const rules = new Map<string, CacheRule>();
  for (const source of sources) {
    const route = routeOf(cache, source);
    if (route.kind !== 'cache' || rules.has(source.name)) continue;
    rules.set(source.name, { name: ruleName(source.name), sourceRepository: source.name, targetRepository: route.ref.repository, credentials: ARTIFACT_CACHE_UPSTREAMS[source.registry].credentials });
  }
  return [...rules.values()].sort((a, b) => a.sourceRepository.localeCompare(b.sourceRepository));
}

/**
 * What ACR would refuse of these rules, as config issues: more than {@link MAX_CACHE_RULES}, or
 * two rules on one target repository. Rules basegate writes are static, so the wildcard-overlap
 * rule cannot be broken by them; their target repositories are in a registry apart from the base
 * registry (checked when resolving), so basegate never creates them itself.
 */
export function cacheRuleIssues(rules: readonly CacheRule[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (rules.length > MAX_CACHE_RULES) {
    issues.push({ path: ['upstreamCache'], message: `expected at most ${MAX_CACHE_RULES} cache rules (ACR Artifact Cache's limit per registry), found ${rules.length} tracked source repositories; split them over two quarantine registries` });
  }
  const byTarget = new Map<string, string>();
  for (const rule of rules) {
    const other = byTarget.get(rule.targetRepository);
    if (other) issues.push({ path: ['upstreamCache'], message: `expected one cache rule per repository, found ${other} and ${rule.sourceRepository} both on ${rule.targetRepository}` });
    byTarget.set(rule.targetRepository, rule.sourceRepository);
  }
  return issues;
}

/** A cache rule name from a source repository: a readable tail and a hash, `[A-Za-z0-9-]`, at most 50 characters. */
function ruleName(source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 8);
  const tail = source.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(-(50 - 3 - 9));
  return `bg-${tail.replace(/^-+/, '')}-${hash}`;
}

/** The cache repository of each routed source repository (by `registry/repository`), for oci/upstream-cache-registry.ts. */
export function cacheRoutesOf(images: ReadonlyArray<{ source: ImageRef; cacheRoute?: ImageCacheRoute }>): (source: ImageRef) => ImageRef | undefined {
  const byName = new Map<string, ImageRef>();
  for (const image of images) if (image.cacheRoute?.kind === 'cache') byName.set(image.source.name, image.cacheRoute.ref);
  return (source) => byName.get(source.name);
}
