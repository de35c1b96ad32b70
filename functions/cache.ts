/**
 * Memoisation with a visible name, key and lifetime (style point 10, after renovate's
 * `withCache`): `cached({ namespace: 'token', key, ttl }, fetchToken)` tells the reader what is
 * cached and for how long. Concurrent callers of the same key share one pending call, so fifty
 * parallel HEADs cost one token request. A rejected call is not cached.
 */

/** Lifetime in milliseconds, fixed or computed from the value (a token's `expires_in`). */
export type Ttl<T> = number | ((value: T) => number);

/** What {@link cached} memoises: the namespace and key name the entry, `ttl` bounds its life. */
export interface CacheSpec<T> {
  namespace: string;
  key: string;
  ttl: Ttl<T>;
  /** Where entries live; a module-wide store when omitted. Give each credential set its own store. */
  store?: MemoryCache;
}

interface Entry {
  value: Promise<unknown>;
  /** Epoch ms after which the entry is stale; Infinity while the call is pending. */
  expiresAt: number;
}

/** An in-memory store of cached entries, keyed by namespace and key. */
export class MemoryCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns the live entry's value, or runs `fn` once for every concurrent caller and keeps its result for `ttl`. */
  get<T>(namespace: string, key: string, ttl: Ttl<T>, fn: () => Promise<T>): Promise<T> {
    const id = `${namespace}\u0000${key}`;
    const hit = this.entries.get(id);
    if (hit && hit.expiresAt > this.now()) return hit.value as Promise<T>;
    const entry: Entry = { value: Promise.resolve(), expiresAt: Infinity };
    const value = fn().then(
      (v) => {
        if (this.entries.get(id) === entry) entry.expiresAt = this.now() + Math.max(0, typeof ttl === 'function' ? ttl(v) : ttl);
        return v;
      },
      (err: unknown) => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
        throw err;
      },
    );
    entry.value = value;
    this.entries.set(id, entry);
    return value;
  }

  /** Forgets one entry (a token the registry refused). */
  delete(namespace: string, key: string): void {
    this.entries.delete(`${namespace}\u0000${key}`);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

const shared = new MemoryCache();

/** Memoises `fn` under `namespace`/`key` for `ttl` milliseconds (see {@link CacheSpec}). */
export function cached<T>(spec: CacheSpec<T>, fn: () => Promise<T>): Promise<T> {
  return (spec.store ?? shared).get(spec.namespace, spec.key, spec.ttl, fn);
}
