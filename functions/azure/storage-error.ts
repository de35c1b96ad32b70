/**
 * How a failure of Azure Storage (queues, tables) is classified, the same for every service:
 * throttling (408, 429), outages (5xx) and network faults are temporary, wrapped in a
 * BasegateError with the caller's code; anything else is rethrown as is.
 */
import { BasegateError, isTemporary } from '../errors';

/** The HTTP status of a Storage SDK error, when it carries one. */
export function storageStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A temporary `code` error when `err` is throttling, an outage or a network fault; else `err` itself. */
export function storageError(err: unknown, code: 'QUEUE_UNAVAILABLE' | 'STATE_UNAVAILABLE', what: string): unknown {
  const status = storageStatus(err);
  const network = (err as { code?: unknown } | null)?.code === 'REQUEST_SEND_ERROR' || isTemporary(err);
  if (network || status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    const service = code === 'QUEUE_UNAVAILABLE' ? 'queue' : 'table';
    return new BasegateError(code, `${service} storage failed ${what} (${status ?? 'network error'})`, { temporary: true, cause: err });
  }
  return err;
}
