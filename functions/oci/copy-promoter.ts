/**
 * The `Promoter` of the CLI and of every non-Azure target: a verified OCI copy through the
 * Distribution API (or into an OCI layout). One instance serves a whole run, so blobs written
 * for one image are mounted, not uploaded again, for the next image that shares them.
 */
import type { PromoteRequest, PromoteResult, Promoter } from '../pipeline/ports';
import { BlobLocations } from './blob-locations';
import { copyImage, type CopyProgressEvent } from './copy';
import { createLimit, type Limit } from './limit';
import type { ImageRef } from './reference';
import type { Registry } from './registry-port';

export interface CopyPromoterOptions {
  /** Reads the upstream. */
  source: Registry;
  /** Writes the base-image registry (or layout). */
  target: Registry;
  /** Blob transfers and manifest requests in flight across all images of the run. */
  concurrency?: number;
  /** Where blobs are known to be in the target; pass one restored from an earlier run to mount across runs. */
  blobLocations?: BlobLocations;
  /** Target repositories to try mounting from when no copy of this run has placed a blob yet. */
  mountSources?: ImageRef[];
  signal?: AbortSignal;
  onProgress?(request: PromoteRequest, event: CopyProgressEvent): void;
}

const DEFAULTS = {
  /** Two cores hash while the network waits: 8 transfers keep both busy without flooding a registry. */
  concurrency: 8,
};

export class CopyPromoter implements Promoter {
  /** The copy writes only the requested platforms of an index (platform-filter.ts). */
  readonly filtersPlatforms = true;
  private readonly limit: Limit;
  private readonly locations: BlobLocations;

  constructor(private readonly options: CopyPromoterOptions) {
    this.limit = createLimit(options.concurrency ?? DEFAULTS.concurrency);
    this.locations = options.blobLocations ?? new BlobLocations();
  }

  async promote(request: PromoteRequest): Promise<PromoteResult> {
    const result = await copyImage({
      source: this.options.source,
      sourceRef: request.source,
      target: this.options.target,
      targetRef: request.target,
      tags: request.tags,
      platforms: request.platforms,
      referrers: request.referrers ?? true,
      judged: request.judged,
      limits: request.limits,
      limit: this.limit,
      blobLocations: this.locations,
      mountSources: (this.options.mountSources ?? []).filter((r) => r.repository !== request.target.repository),
      signal: this.options.signal,
      onProgress: this.options.onProgress ? (event) => this.options.onProgress!(request, event) : undefined,
    });
    // Only the PromoteResult fields: the pipeline stores the result as is.
    const { sourceDigest: _sourceDigest, mediaType: _mediaType, manifestsSkipped: _manifestsSkipped, ...promoted } = result;
    return promoted;
  }
}
