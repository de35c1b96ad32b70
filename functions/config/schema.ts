/**
 * The schema of basegate.yaml (docs/configuration.md). Objects are strict: an unknown key is
 * an error, so a typo never silently disables a gate. Fields are parsed as they are checked
 * (durations, sizes, regexes); rules that relate several fields (tags or tagPolicy, registry
 * or layout, duplicates, references) are checked after this, in resolve-config.ts.
 */
import { z } from 'zod';
import { dependentSchema } from './dependent-schema';
import { gatesSchema } from './gate-schema';
import { webhooksSchema } from './webhooks-schema';
import { hostField, httpsUrlField, platformField, regexField, registryResourceIdField, semverRangeField, tagField, text } from './schema-fields';

/** How to reach one registry host. */
const registrySchema = z.strictObject({
  username: text.optional(),
  password: text.optional(),
  /** Key Vault secret URL holding the password; resolved by the Azure layer. */
  passwordSecret: httpsUrlField.optional(),
  /** `azure`: log in with Entra ID (the default for ACR login servers without a username); `anonymous`: never log in. */
  auth: z.enum(['azure', 'anonymous']).optional(),
  /** Entra ID audience of the registry's data plane with `auth: azure` (sovereign clouds, custom domains). */
  audience: httpsUrlField.optional(),
  /** Plain http (loopback hosts are plain http by default). */
  insecure: z.boolean().optional(),
  /** Requests in flight to this host. */
  concurrency: z.int().min(1).max(256).optional(),
  /** Pause pulls when the registry's ratelimit-remaining falls below this. */
  minRemaining: z.int().min(0).optional(),
  /** Token realm hosts (host or host:port) allowed beyond the registry's own and the built-in ones. */
  tokenRealms: z.array(hostField).max(16).optional(),
  /** A tag listing longer than this fails (default 100,000). */
  maxTags: z.int().min(1).max(10_000_000).optional(),
});

/** The base-image registry promoted into. */
const targetSchema = z.strictObject({
  registry: text.optional(),
  /** An OCI image layout directory, relative to the config file. */
  layout: text.optional(),
  immutableTag: text.optional(),
  acr: z
    .strictObject({
      resourceId: registryResourceIdField,
      lockImmutableTags: z.boolean().optional(),
    })
    .optional(),
});

/**
 * The quarantine registry every read of a candidate goes through (issue #22): a pull-through
 * cache (ACR Artifact Cache, or any registry proxy) that reads upstream once.
 */
const upstreamCacheSchema = z.strictObject({
  /** Registry host of the cache: holds unvetted content, nothing builds FROM it. */
  registry: text,
  /** How a source repository maps to the cache's: `acr` (ACR cache-rule naming, `<source host>/<repository>`) or `same` (a proxy that keeps names). */
  repository: z.enum(['acr', 'same']).optional(),
  /** With `repository: same`: the one upstream host the cache proxies (its proxy.remoteurl). */
  upstream: hostField.optional(),
  /** An image whose source the cache cannot serve is refused instead of read from upstream. */
  required: z.boolean().optional(),
  /** ARM id of the quarantine registry: with target.acr, promotion imports from it by resource id. */
  resourceId: registryResourceIdField.optional(),
});

/** A rule choosing tags from the upstream tag list. */
const tagPolicySchema = z.strictObject({
  allow: z.array(regexField).optional(),
  deny: z.array(regexField).optional(),
  semver: semverRangeField.optional(),
  latest: z.int().min(1).max(1000).optional(),
});

/** One tracked image. */
const imageSchema = z.strictObject({
  source: text,
  tags: z.array(tagField).min(1).optional(),
  tagPolicy: tagPolicySchema.optional(),
  immutableTags: z.array(regexField).optional(),
  repository: text.optional(),
  platforms: z.array(platformField).min(1).optional(),
  /** Promote a tag that moves back upstream without holding it (issue #17 retag protection). */
  allowUpstreamRollback: z.boolean().optional(),
  gates: gatesSchema.optional(),
  dependents: z.array(dependentSchema).optional(),
});

/** The whole document. */
export const configSchema = z.strictObject({
  registries: z.record(z.string(), registrySchema).optional(),
  target: targetSchema,
  images: z.array(imageSchema).min(1),
  defaults: z
    .strictObject({
      gates: gatesSchema.optional(),
      dependents: z.array(dependentSchema).optional(),
    })
    .optional(),
  webhooks: webhooksSchema.optional(),
  upstreamCache: upstreamCacheSchema.optional(),
});

/** basegate.yaml after schema validation (durations and sizes as numbers, regexes compiled). */
export type ConfigDocument = z.output<typeof configSchema>;
/** One `images:` entry after schema validation. */
export type ImageDocument = ConfigDocument['images'][number];
/** The `target:` section after schema validation. */
export type TargetDocument = ConfigDocument['target'];
/** The `upstreamCache:` section after schema validation. */
export type UpstreamCacheDocument = NonNullable<ConfigDocument['upstreamCache']>;
