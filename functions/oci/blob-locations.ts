/**
 * A memo of where blobs are known to be in a target registry: digest → repositories, filled
 * as a copy uploads, mounts or finds blobs. Share one instance across the copies of a sync run
 * so that the second image sharing a base layer mounts it from the first one's repository
 * instead of uploading it again. It lives as long as the caller keeps it (no expiry: within a
 * run, registries do not drop blobs a copy just wrote; a stale entry only costs a declined mount).
 */
import type { ImageRef } from './reference';

/** Repositories of each target registry known to hold each blob. */
export class BlobLocations {
  /** `scheme:registry` → digest → repositories, most recently recorded last. */
  private readonly registries = new Map<string, Map<string, Set<string>>>();

  /** Remembers that `ref`'s repository holds the blob. */
  record(ref: ImageRef, digest: string): void {
    const key = registryKey(ref);
    let digests = this.registries.get(key);
    if (!digests) this.registries.set(key, (digests = new Map()));
    let repositories = digests.get(digest);
    if (!repositories) digests.set(digest, (repositories = new Set()));
    repositories.delete(ref.repository);
    repositories.add(ref.repository);
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
}

function registryKey(ref: ImageRef): string {
  return `${ref.scheme}:${ref.registry}`;
}
