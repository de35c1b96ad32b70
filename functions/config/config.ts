/**
 * The loaded configuration: what the pipeline reads. References are parsed, durations and
 * sizes are numbers, regexes are compiled, defaults are merged, paths are absolute.
 * Produced by `loadConfig()` / `parseConfig()` (load-config.ts) only.
 */
import type { ImageRef } from '../oci/reference';
import type { TagPolicy } from './tag-policy';
import type { SafeRegex } from './safe-regex';
import type { WebhooksConfig } from './resolve-webhooks';
import type { ImageCacheRoute, UpstreamCacheConfig } from './upstream-cache';
import type { SignatureGateConfig } from './signature-config';
import type { VulnerabilitiesGateConfig } from './vulnerabilities-config';

/** How to reach one registry host (keys of {@link Config.registries} are normalised hosts: `docker.io`). */
export interface RegistryConfig {
  username?: string;
  password?: string;
  /** Key Vault secret URL holding the password, resolved by the Azure layer (functions/azure). */
  passwordSecret?: string;
  /** `azure`: Entra ID login (functions/azure/acr-entra-login.ts), implied for ACR login servers without a username; `anonymous`: none. */
  auth?: 'azure' | 'anonymous';
  /** Entra ID audience with `auth: azure`; default by login-server suffix (functions/azure/acr-login-servers.ts). */
  audience?: string;
  /** Plain http. Undefined: the registry client decides (http for loopback hosts only). */
  insecure?: boolean;
  /** Requests in flight to this host. */
  concurrency?: number;
  /** Pause pulls when `ratelimit-remaining` falls below this. */
  minRemaining?: number;
  /** Token realm hosts allowed beyond the registry's own and the built-in ones (oci/registry/token-realm.ts). */
  tokenRealms?: string[];
  /** A tag listing longer than this fails. */
  maxTags?: number;
}

/** Promotion through ARM importImage into an Azure Container Registry. */
export interface AcrTargetConfig {
  resourceId: string;
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  /** Put a data-plane write lock on each immutable tag. */
  lockImmutableTags: boolean;
}

/** The base-image registry promoted into: a registry, or an OCI layout directory (one layout per repository). */
export type TargetConfig =
  | { kind: 'registry'; registry: string; immutableTag: string; acr?: AcrTargetConfig }
  | { kind: 'layout'; dir: string; immutableTag: string };

/** The gates of one image, defaults merged in (image wins per gate; `false` turned one off). */
export interface GatesConfig {
  /** Compressed bytes per platform, its attestations included. */
  maxSize?: number;
  /** Bytes one promotion writes in all (default 10 GiB; cannot be turned off). */
  maxTotalSize?: number;
  /** Manifests one promotion writes in all (default 500; cannot be turned off). */
  maxManifests?: number;
  /** Milliseconds since the digest was first seen. */
  cooldown?: number;
  /** Milliseconds since the image config's `created`. */
  maxAge?: number;
  labels?: Record<string, SafeRegex>;
  /** Paths absolute; see functions/gates/signature/policy.ts. */
  signature?: SignatureGateConfig;
  referrers?: { artifactType?: string };
  /** `run` as argv, or a `/bin/sh -c` script; `env` names variables to pass through, or sets them. */
  command?: { run: string[] | string; timeout?: number; perPlatform?: boolean; env: Record<string, string> | string[] };
  vulnerabilities?: VulnerabilitiesGateConfig;
  /** `encodedTask` is an absolute path (relative ones are resolved against the config file). */
  acrTask?: { registry: string; task?: string; encodedTask?: string; argument?: string; timeout?: number };
  approval?: 'manual';
}

/** A webhook POST, signed when a secret is set. */
export interface WebhookDependent {
  kind: 'webhook';
  id: string;
  url: string;
  secret?: string;
  headers: Record<string, string>;
  insecure: boolean;
}

/** A run of an existing ACR task with the new base image as an argument. */
export interface AcrTaskDependent {
  kind: 'acrTask';
  id: string;
  registry: string;
  task: string;
  argument: string;
}

/** A GitHub `repository_dispatch` event. */
export interface GithubDispatchDependent {
  kind: 'githubDispatch';
  id: string;
  repository: string;
  eventType: string;
  token?: string;
  tokenSecret?: string;
  apiUrl: string;
}

/** An Azure Pipelines run. */
export interface AzurePipelinesDependent {
  kind: 'azurePipelines';
  id: string;
  organization: string;
  project: string;
  pipelineId: number;
  token?: string;
  tokenSecret?: string;
  branch?: string;
  url: string;
}

/** ACR tasks discovered by their recorded base-image dependencies. */
export interface DiscoverDependent {
  kind: 'discover';
  id: string;
  registry: string;
  schedule: 'auto' | 'always';
}

/** One dependent; `id` is its `name:` or derived from kind and target, unique within the image. */
export type DependentConfig = WebhookDependent | AcrTaskDependent | GithubDispatchDependent | AzurePipelinesDependent | DiscoverDependent;

/** One tracked image, resolved. */
export interface ImageConfig {
  /** Stable id: source name → target repository (`docker.io/library/node→base/node`). */
  id: string;
  /** Position in `images:` (for messages). */
  index: number;
  /** Source repository, no tag, no digest. */
  source: ImageRef;
  /** Target repository, no tag, no digest. */
  target: ImageRef;
  /** Explicit tags, when the config lists them (exactly one of tags / tagPolicy is set). */
  tags?: string[];
  tagPolicy?: TagPolicy;
  /** Tags known never to move: once promoted, not asked about again. */
  immutableTags: SafeRegex[];
  /** Required platforms, and the only ones copied; undefined copies all. */
  platforms?: string[];
  /** A tag moving back upstream is promoted without a hold. */
  allowUpstreamRollback?: boolean;
  gates: GatesConfig;
  /** With `upstreamCache:`, where its candidates are read (config/upstream-cache.ts). */
  cacheRoute?: ImageCacheRoute;
  /** defaults.dependents followed by the image's own. */
  dependents: DependentConfig[];
}

/** The whole configuration. */
export interface Config {
  /** Absolute path of the config file. */
  file: string;
  /** Its directory: relative paths in the config are resolved against it. */
  dir: string;
  registries: Record<string, RegistryConfig>;
  target: TargetConfig;
  images: ImageConfig[];
  /** How inbound webhooks may ask for detects (the Functions app; config/resolve-webhooks.ts). */
  webhooks: WebhooksConfig;
  /** The quarantine pull-through cache candidates are read through (issue #22). */
  upstreamCache?: UpstreamCacheConfig;
  /** Hash of the document as written (before `${VAR}` interpolation): changes when the file's meaning changes. */
  hash: string;
  /** Values `${VAR}` put into it (credentials, tokens): never shown, scrubbed from program output. */
  secrets?: string[];
}
