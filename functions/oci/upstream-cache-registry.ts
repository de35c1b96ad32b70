/**
 * Reads of a candidate through the quarantine pull-through cache (issue #22): a `Registry` over
 * another that sends every read *by digest* of a routed source repository (manifests, blobs) to
 * its repository in the cache, and everything else (a manifest by tag, tag lists, referrers) to
 * the upstream as asked. So detect still costs one upstream HEAD per tag, a cache serves only
 * what it can fetch by digest, and the gates, the scanner and the copy read upstream once,
 * through the cache, whichever of them reads first.
 *
 * Never a fallback: when the cache cannot be reached, the read fails with
 * `UPSTREAM_CACHE_UNAVAILABLE` (temporary), the stage fails and is retried; the upstream is not
 * read instead, or a cache outage would silently spend the upstream's pull budget.
 */
import type { Readable } from 'node:stream';
import { BasegateError, describeError, UPSTREAM_CACHE_UNAVAILABLE } from '../errors';
import type { ImageRef } from './reference';
import type { Descriptor, Manifest, ManifestInfo, ReferrersOptions, Registry, TagListOptions } from './registry-port';

/** The cache repository of a source repository, or undefined when that source is not read through the cache. */
export type CacheRoutes = (source: ImageRef) => ImageRef | undefined;

export { isCacheUnavailable, UPSTREAM_CACHE_UNAVAILABLE } from '../errors';

/** A `Registry` whose by-digest reads of routed repositories go to the cache. */
export class UpstreamCacheRegistry implements Registry {
  constructor(
    private readonly inner: Registry,
    private readonly routes: CacheRoutes,
  ) {}

  /** Where a read of `ref` by digest goes: its cache repository, pinned, or undefined for the upstream. */
  cacheRef(ref: ImageRef): ImageRef | undefined {
    if (!ref.digest) return undefined;
    return this.routes(ref.withRepository(ref.repository))?.withDigest(ref.digest);
  }

  ping(ref: ImageRef): Promise<void> {
    return this.inner.ping(ref);
  }

  manifestHead(ref: ImageRef): Promise<ManifestInfo | undefined> {
    const cached = this.cacheRef(ref);
    return cached ? this.fromCache(cached, () => this.inner.manifestHead(cached)) : this.inner.manifestHead(ref);
  }

  manifestGet(ref: ImageRef): Promise<Manifest> {
    const cached = this.cacheRef(ref);
    return cached ? this.fromCache(cached, () => this.inner.manifestGet(cached)) : this.inner.manifestGet(ref);
  }

  manifestPut(ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    return this.inner.manifestPut(ref, manifest);
  }

  blobHead(ref: ImageRef, digest: string): Promise<{ size: number } | undefined> {
    const cached = this.routes(ref.withRepository(ref.repository));
    return cached ? this.fromCache(cached, () => this.inner.blobHead(cached, digest)) : this.inner.blobHead(ref, digest);
  }

  blobGet(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const cached = this.routes(ref.withRepository(ref.repository));
    return cached ? this.fromCache(cached, () => this.inner.blobGet(cached, descriptor)) : this.inner.blobGet(ref, descriptor);
  }

  blobPut(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>, body: () => Readable, options?: Parameters<Registry['blobPut']>[3]): Promise<void> {
    return this.inner.blobPut(ref, descriptor, body, options);
  }

  /** From the upstream: a cache lists only what it holds. */
  tagList(ref: ImageRef, options?: TagListOptions): Promise<string[]> {
    return this.inner.tagList(ref, options);
  }

  /** From the upstream: a cache knows only the referrers pulled through it. */
  referrers(ref: ImageRef, options?: ReferrersOptions): Promise<Descriptor[]> {
    return this.inner.referrers(ref, options);
  }

  /** Runs a read against the cache; an outage becomes {@link UPSTREAM_CACHE_UNAVAILABLE}, anything else (404, a digest mismatch) stays as it was. */
  private async fromCache<T>(cached: ImageRef, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof BasegateError && !err.temporary) throw err;
      throw new BasegateError(UPSTREAM_CACHE_UNAVAILABLE, `the upstream cache ${cached.registry} could not be read for ${cached} (${describeError(err)}); not read from upstream instead: the stage fails and is retried`, {
        temporary: true,
        cause: err,
      });
    }
  }
}
