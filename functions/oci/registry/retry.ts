/**
 * Retries what the host got wrong for now: 429, 500, 502, 503, 504 and network errors.
 * A `Retry-After` (seconds or an HTTP-date, RFC 9110 §10.2.3) is honoured when it is within
 * `maxRetryAfterMs`; past that the answer goes up unretried, as a temporary error the queue turns
 * into a delay. Otherwise: exponential backoff with full jitter (a random wait in
 * [0, min(maxDelay, base·2^(attempt-1))), AWS Architecture Blog "Exponential Backoff and Jitter").
 * Bodies are factories, so every attempt sends the body from its start.
 */
import { BasegateError, isTemporary, redactUrl, RegistryError } from '../../errors';
import { emit, type RegistryEventListener } from './events';
import { discard, header, type Decorator } from './http';
import type { RegistryRetryOptions } from './options';

/** Statuses that mean "the host is throttled or failing; the same request may work later". */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** A refusal of our own (the rate budget): retrying it at once would only refuse again. */
const NOT_RETRIED_CODES = new Set(['RATE_BUDGET']);

/** Milliseconds a `Retry-After` value asks for (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // "-5", "1.5": neither form
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter backoff before attempt `attempt + 1`, given the 1-based attempt that failed. */
export function backoffDelay(attempt: number, policy: Required<RegistryRetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Waits `ms` milliseconds. The only sleep in the client. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries requests marked `retry` on retryable statuses and temporary network errors. */
export function retryRequests(policy: Required<RegistryRetryOptions>, onEvent?: RegistryEventListener): Decorator {
  return (next) => async (req) => {
    if (!req.retry) return next(req);
    const url = redactUrl(req.url.toString());
    for (let attempt = 1; ; attempt++) {
      let delay: number | undefined;
      let reason: string;
      try {
        const res = await next(req);
        if (!RETRY_STATUSES.has(res.status)) return res;
        const retryAfter = parseRetryAfter(header(res.headers, 'retry-after'));
        if (res.status === 429) emit(onEvent, { type: 'throttled', method: req.method, url, reason: 'status', retryAfterMs: retryAfter });
        if (attempt >= policy.maxAttempts || (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs)) return res;
        await discard(res);
        delay = retryAfter;
        reason = String(res.status);
      } catch (err) {
        if (!retryable(err) || attempt >= policy.maxAttempts) throw err;
        reason = String((err as { code?: unknown }).code ?? 'error');
      }
      delay ??= backoffDelay(attempt, policy);
      emit(onEvent, { type: 'retry', method: req.method, url, attempt, delayMs: delay, reason });
      await sleep(delay);
    }
  };
}

/** Runs an operation again from its start after a temporary failure (an upload session), with the same policy. */
export async function withRetries<T>(
  policy: Required<RegistryRetryOptions>,
  onEvent: RegistryEventListener | undefined,
  what: { method: string; url: string },
  operation: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (!retryable(err) || attempt >= policy.maxAttempts) throw err;
      const retryAfter = err instanceof RegistryError && err.retryAfter !== undefined ? err.retryAfter * 1000 : undefined;
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) throw err;
      const delay = retryAfter ?? backoffDelay(attempt, policy);
      const reason = err instanceof RegistryError && err.status !== undefined ? String(err.status) : String((err as { code?: unknown }).code ?? 'error');
      emit(onEvent, { type: 'retry', method: what.method, url: redactUrl(what.url), attempt, delayMs: delay, reason });
      await sleep(delay);
    }
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof BasegateError && NOT_RETRIED_CODES.has(err.code)) return false;
  return isTemporary(err);
}
