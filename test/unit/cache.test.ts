/** The named memoisation helper: TTL from the value, single flight, failures not kept. */
import { cached, MemoryCache } from '../../functions/cache';

describe('cached', () => {
  it('keeps a value for its ttl, computed from the value', async () => {
    let now = 1000;
    const store = new MemoryCache(() => now);
    let calls = 0;
    const fn = async () => ({ n: ++calls, ttl: 50 });
    const get = () => cached({ namespace: 't', key: 'k', ttl: (v: { ttl: number }) => v.ttl, store }, fn);
    expect((await get()).n).toBe(1);
    now += 49;
    expect((await get()).n).toBe(1);
    now += 1;
    expect((await get()).n).toBe(2);
  });

  it('shares one pending call among concurrent callers and keeps keys apart', async () => {
    const store = new MemoryCache();
    let calls = 0;
    const fn = async () => ++calls;
    const results = await Promise.all([1, 2, 3].map(() => cached({ namespace: 't', key: 'a', ttl: 1000, store }, fn)));
    expect(results).toEqual([1, 1, 1]);
    expect(await cached({ namespace: 't', key: 'b', ttl: 1000, store }, fn)).toBe(2);
    expect(await cached({ namespace: 'u', key: 'a', ttl: 1000, store }, fn)).toBe(3);
  });

  it('does not keep a failure, and delete() forgets an entry', async () => {
    const store = new MemoryCache();
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('boom');
    };
    await expect(cached({ namespace: 't', key: 'k', ttl: 1000, store }, failing)).rejects.toThrow('boom');
    expect(await cached({ namespace: 't', key: 'k', ttl: 1000, store }, async () => 'ok')).toBe('ok');
    store.delete('t', 'k');
    expect(await cached({ namespace: 't', key: 'k', ttl: 1000, store }, async () => 'again')).toBe('again');
    expect(calls).toBe(1);
  });
});
