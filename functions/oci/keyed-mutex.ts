/**
 * An in-process mutex per key: callers of the same key run one after the other, in arrival
 * order. Module-wide on purpose: two `LayoutRegistry` instances in one process still serialise
 * their updates of the same `index.json`, and two copies in one process their updates of the
 * same referrers tag.
 */
const tails = new Map<string, Promise<void>>();

/** Runs `fn` once every earlier holder of `key` has finished (resolved or thrown). */
export async function withKeyedMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // The last holder cleans up so the map does not grow with every layout ever touched.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
