/**
 * What the registry client reports while it works, for logs, metrics and benchmarks.
 * Events carry redacted URLs only (see `redactUrl`): never a credential or a token.
 */

/** One observable step of the client: an exchange, a retry, a throttle, a rate-limit reading. */
export type RegistryEvent =
  | {
      type: 'request';
      method: string;
      /** Redacted URL. */
      url: string;
      status: number;
      durationMs: number;
    }
  | {
      type: 'retry';
      method: string;
      url: string;
      /** The attempt that failed (1-based); the next one starts after `delayMs`. */
      attempt: number;
      delayMs: number;
      /** The status (`429`) or error code (`ECONNRESET`) that caused the retry. */
      reason: string;
    }
  | {
      type: 'throttled';
      method: string;
      url: string;
      /** `status`: the registry answered 429; `budget`: basegate held back to keep `minRemaining` pulls. */
      reason: 'status' | 'budget';
      /** What the registry asked for (Retry-After), when it did. */
      retryAfterMs?: number;
    }
  | {
      type: 'rateLimit';
      host: string;
      limit: number;
      remaining: number;
      windowSeconds?: number;
    };

/** Receives {@link RegistryEvent}s; must not throw (a throwing listener is ignored). */
export type RegistryEventListener = (event: RegistryEvent) => void;

/** Calls the listener, if any, shielding the request from a listener that throws. */
export function emit(listener: RegistryEventListener | undefined, event: RegistryEvent): void {
  if (!listener) return;
  try {
    listener(event);
  } catch {
    // An observer must never break a pull; its bug is its own to report.
  }
}
