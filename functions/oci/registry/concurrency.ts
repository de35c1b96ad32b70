/**
 * Bounds the requests a host has in flight at once. A slot is held from sending until the
 * response headers arrive, not while the body streams: a copy holds a download open while it
 * uploads to the same host, and a slot held for the body would let N such copies deadlock.
 */
import { createLimit, type Limit } from '../limit';
import type { Decorator } from './http';

/** Limits requests in flight per URL host to `limitOf(host)`. */
export function concurrencyLimit(limitOf: (host: string) => number): Decorator {
  const limits = new Map<string, Limit>();
  return (next) => async (req) => {
    const key = req.url.host;
    let limit = limits.get(key);
    if (!limit) {
      limit = createLimit(limitOf(key));
      limits.set(key, limit);
    }
    return limit(() => next(req));
  };
}
