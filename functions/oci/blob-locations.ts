/**
 * A memo of where blobs are known to be in a target registry: digest → repositories, filled
 * as a copy uploads, mounts or finds blobs. Share one instance across the copies of a sync run
 * so that the second image sharing a base layer mounts it from the first one's repository
 * instead of uploading it again. It lives as long as the caller keeps it (no expiry: within a
 * run, registries do not drop blobs a copy just wrote; a stale entry only costs a declined mount).
 * It also knows which uploads are in progress, so that two copies of a run that need the same
 * blob at once (a base layer) upload it once: the second waits, then skips or mounts it.
 * It tells what it learnt in this run from what an earlier run's snapshot said (which may be
 * stale), and which registries declined a mount of a blob known to be in the source repository:
 * those do not mount, and the copier asks them with HEAD for the rest of the run.
 */
import type { ImageRef } from './reference';

/** Repositories of each target registry known to hold each blob. */
export class BlobLocations {
  /** `scheme:registry` → digest → repositories, most recently recorded last. */
  private readonly registries = new Map<string, Map<string, Set<string>>>();
  /** `scheme:registry|digest` → an upload of the blob into that registry in progress (settles either way). */
  private readonly uploads = new Map<string, Promise<void>>();
  /** `scheme:registry|digest|repository` recorded by this process (not restored from a snapshot). */
  private readonly seen = new Set<string>();
  /** `scheme:registry` of registries that declined a mount they should have done. */
  private readonly declined = new Set<string>();

  /** Remembers that `ref`'s repository holds the blob. */
  record(ref: ImageRef, digest: string): void {
    const key = registryKey(ref);
    let digests = this.registries.get(key);
    if (!digests) this.registries.set(key, (digests = new Map()));
    let repositories = digests.get(digest);
    if (!repositories) digests.set(digest, (repositories = new Set()));
    repositories.delete(ref.repository);
    repositories.add(ref.repository);
    this.seen.add(`${key}|${digest}|${ref.repository}`);
  }

  /** True when this run recorded the blob in `ref`'s repository (a snapshot's word is not enough). */
  seenThisRun(ref: ImageRef, digest: string): boolean {
    return this.seen.has(`${registryKey(ref)}|${digest}|${ref.repository}`);
  }

  /** Notes that `ref`'s registry declined to mount a blob it holds: it does not mount. */
  mountDeclined(ref: ImageRef): void {
    this.declined.add(registryKey(ref));
  }

  /** False once {@link mountDeclined} was said of `ref`'s registry. */
  mounts(ref: ImageRef): boolean {
    return !this.declined.has(registryKey(ref));
  }

  /** True when `ref`'s repository is known to hold the blob. */
  has(ref: ImageRef, digest: string): boolean {
    return this.registries.get(registryKey(ref))?.get(digest)?.has(ref.repository) ?? false;
  }

  /** Other repositories of `ref`'s registry known to hold the blob, most recent first. */
  elsewhere(ref: ImageRef, digest: string): ImageRef[] {
    const repositories = this.registries.get(registryKey(ref))?.get(digest);
    if (!repositories) return [];
    return [...repositories].reverse().filter((r) => r !== ref.repository).map((r) => ref.withRepository(r));
  }

  /** Notes an upload of the blob into `ref`'s registry, until it settles (succeeded or not). */
  uploading(ref: ImageRef, digest: string, upload: Promise<unknown>): void {
    const key = `${registryKey(ref)}|${digest}`;
    const settled: Promise<void> = upload.then(
      () => this.settle(key, settled),
      () => this.settle(key, settled),
    );
    this.uploads.set(key, settled);
  }

  /** The upload of the blob into `ref`'s registry in progress, if any: resolves (never rejects) when it settles. */
  upload(ref: ImageRef, digest: string): Promise<void> | undefined {
    return this.uploads.get(`${registryKey(ref)}|${digest}`);
  }

  /** What is known, for keeping it across runs: registry → digest → repositories (newest digests last, at most `max` per registry). */
  snapshot(max = 20_000): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const [registry, digests] of this.registries) {
      out[registry] = Object.fromEntries([...digests].slice(-max).map(([digest, repositories]) => [digest, [...repositories]]));
    }
    return out;
  }

  /** Adds what an earlier run's {@link snapshot} knew; a stale entry only costs a declined mount. */
  restore(snapshot: Record<string, Record<string, string[]>>): void {
    for (const [registry, digests] of Object.entries(snapshot)) {
      let known = this.registries.get(registry);
      if (!known) this.registries.set(registry, (known = new Map()));
      for (const [digest, repositories] of Object.entries(digests)) {
        const set = known.get(digest) ?? new Set<string>();
        for (const repository of repositories) set.add(repository);
        known.set(digest, set);
      }
    }
  }

  private settle(key: string, settled: Promise<void>): void {
    if (this.uploads.get(key) === settled) this.uploads.delete(key);
  }
}

function registryKey(ref: ImageRef): string {
  return `${ref.scheme}:${ref.registry}`;
}
