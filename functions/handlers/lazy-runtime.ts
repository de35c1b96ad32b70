/**
 * The runtime built once per instance, on first use, and shared by every invocation. A build that
 * fails (Key Vault or storage unreachable at that moment) is not kept: the next invocation tries
 * again, so a passing outage does not leave the instance broken until it recycles.
 */

/** Memoises `build`'s promise until it rejects. */
export function lazyRuntime<T>(build: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    current ??= build().catch((err: unknown) => {
      current = undefined;
      throw err;
    });
    return current;
  };
}
