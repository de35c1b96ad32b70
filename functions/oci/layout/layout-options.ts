/** Options of {@link LayoutRegistry}: one interface, one resolver, one `DEFAULTS`. */
import { ConfigError } from '../../errors';
import type { FileLockOptions } from './file-lock';

/** Options of the OCI layout backend. */
export interface LayoutRegistryOptions {
  /** Waiting for another process's `index.json` lock. */
  lock?: Partial<FileLockOptions>;
}

/** {@link LayoutRegistryOptions} with every default filled in. */
export interface ResolvedLayoutRegistryOptions {
  lock: FileLockOptions;
}

/** Defaults of the layout backend, each with its reason. */
export const DEFAULTS = {
  /** An index update takes milliseconds; 30 s of waiting means a stuck writer, better reported than waited on. */
  lockTimeoutMs: 30_000,
  /** A lock older than a minute outlived any index update by far: its holder died. */
  lockStaleMs: 60_000,
  /** Short enough not to slow a queue of writers, long enough not to spin. */
  lockRetryMs: 15,
} as const;

/** Fills in defaults and refuses impossible values. */
export function resolveLayoutRegistryOptions(options: LayoutRegistryOptions = {}): ResolvedLayoutRegistryOptions {
  const lock = {
    timeoutMs: options.lock?.timeoutMs ?? DEFAULTS.lockTimeoutMs,
    staleMs: options.lock?.staleMs ?? DEFAULTS.lockStaleMs,
    retryMs: options.lock?.retryMs ?? DEFAULTS.lockRetryMs,
  };
  for (const [key, value] of Object.entries(lock)) {
    if (!(Number.isFinite(value) && value > 0)) throw new ConfigError(`expected a number > 0, got ${value}`, { path: `lock.${key}` });
  }
  if (lock.retryMs > lock.timeoutMs) throw new ConfigError(`retryMs (${lock.retryMs}) exceeds timeoutMs (${lock.timeoutMs})`, { path: 'lock' });
  return { lock };
}
