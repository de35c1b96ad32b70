/**
 * Options of the ACR import promoter: one interface, one resolver, one `DEFAULTS`.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { ConfigError } from '../errors';
import type { Registry } from '../oci/registry-port';
import { parseAcrResourceId, type AcrResourceId } from './acr-resource-id';
import type { AcrTagLock } from './acr-tag-lock';
import type { ResolveSecret, SecretRef } from './secret-resolver';

/** Credentials ACR uses to read a private source registry (`ImportSourceCredentials`). */
export interface AcrSourceCredentials {
  username?: SecretRef;
  password: SecretRef;
}

/** Options of `AcrImportPromoter`. */
export interface AcrImportPromoterOptions {
  /** From `createArmClient`. */
  client: ContainerRegistryManagementClient;
  /** The base-image registry's resource id (a string is parsed). */
  registry: string | AcrResourceId;
  /** Data-plane reads of sources: the manifest count, referrers, cosign tags. */
  sourceRegistry: Registry;
  /** Data-plane reads of the target: existing tags' digests, verification after import. */
  targetRegistry: Registry;
  /** Per source registry (`docker.io`, `ghcr.io`, `127.0.0.1:5000`): what ACR logs in with. */
  credentials?: Record<string, AcrSourceCredentials>;
  /** Resolves the credentials' secrets (environment or Key Vault); required with `credentials`. */
  resolveSecret?: ResolveSecret;
  /** Bound on each import operation. */
  timeoutMs?: number;
  /** Poll interval of the import operations. */
  pollIntervalMs?: number;
  /**
   * When the request names platforms and the index has others: `importAll` imports the whole
   * index (ACR cannot filter one; the `platforms` gate has already checked the required ones are
   * there); `refuse` fails with `ACR_IMPORT_PLATFORM_FILTER`.
   */
  platformFilter?: 'importAll' | 'refuse';
  /** Locks the immutable tag after promotion (ACR data plane), when given. */
  tagLock?: AcrTagLock;
  /** Milliseconds clock for durations. */
  now?: () => number;
}

const DEFAULTS = {
  /** Large multi-arch images import in minutes; stays well under the Functions 30-minute timeout. */
  timeoutMs: 10 * 60_000,
  /** ACR's import status monitor sends no Retry-After; 2 s keeps latency low at a few reads per import. */
  pollIntervalMs: 2_000,
  /** The approved digest's extra platforms are harmless; refusing would make ACR import unusable with `platforms:`. */
  platformFilter: 'importAll',
} as const;

/** Options with defaults filled in. */
export interface ResolvedAcrImportPromoterOptions {
  client: ContainerRegistryManagementClient;
  registry: AcrResourceId;
  sourceRegistry: Registry;
  targetRegistry: Registry;
  credentials: Record<string, AcrSourceCredentials>;
  resolveSecret?: ResolveSecret;
  timeoutMs: number;
  pollIntervalMs: number;
  platformFilter: 'importAll' | 'refuse';
  tagLock?: AcrTagLock;
  now: () => number;
}

/** Fills defaults and refuses contradictions. */
export function resolveAcrImportPromoterOptions(options: AcrImportPromoterOptions): ResolvedAcrImportPromoterOptions {
  const credentials = options.credentials ?? {};
  if (Object.keys(credentials).length > 0 && !options.resolveSecret) {
    throw new ConfigError('source credentials are configured but no resolveSecret was given to read them', { code: 'ACR_IMPORT_OPTIONS_INVALID' });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
  if (!(timeoutMs > 0) || !(pollIntervalMs > 0) || pollIntervalMs >= timeoutMs) {
    throw new ConfigError(`timeoutMs (${timeoutMs}) and pollIntervalMs (${pollIntervalMs}) must be positive, the interval shorter`, { code: 'ACR_IMPORT_OPTIONS_INVALID' });
  }
  return {
    client: options.client,
    registry: typeof options.registry === 'string' ? parseAcrResourceId(options.registry) : options.registry,
    sourceRegistry: options.sourceRegistry,
    targetRegistry: options.targetRegistry,
    credentials,
    resolveSecret: options.resolveSecret,
    timeoutMs,
    pollIntervalMs,
    platformFilter: options.platformFilter ?? DEFAULTS.platformFilter,
    tagLock: options.tagLock,
    now: options.now ?? Date.now,
  };
}
