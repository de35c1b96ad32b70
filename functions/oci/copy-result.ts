/** What a copy did: the counts a promotion records and a benchmark prints. */

/** Result of {@link copyImage}. Field names match the pipeline's `PromoteResult`. */
export interface CopyResult {
  /** Digest the tags point at in the target: the source digest, unless a platform filter wrote a new index. */
  digest: string;
  /** The pinned source digest. */
  sourceDigest: string;
  mediaType: string;
  /** Tags now pointing at `digest`, in the order set. */
  tags: string[];
  /** Bytes sent as blob uploads (mounted and skipped blobs cost none). */
  bytesUploaded: number;
  blobsUploaded: number;
  blobsMounted: number;
  /** Blobs the target repository already had. */
  blobsSkipped: number;
  /** Manifests written (image manifests, indexes, referrers, the referrers tag index). */
  manifests: number;
  /** Manifests the target already had (their content was not walked again). */
  manifestsSkipped: number;
  /** Referrer manifests written (referrers API or tag schema, and cosign's tags). */
  referrers: number;
  durationMs: number;
}

/** Mutable counters of one copy. */
export class CopyStats {
  bytesUploaded = 0;
  blobsUploaded = 0;
  blobsMounted = 0;
  blobsSkipped = 0;
  manifests = 0;
  manifestsSkipped = 0;
  referrers = 0;
  private readonly startedAt = performance.now();

  /** The counters as a {@link CopyResult}. */
  result(fields: Pick<CopyResult, 'digest' | 'sourceDigest' | 'mediaType' | 'tags'>): CopyResult {
    return {
      ...fields,
      bytesUploaded: this.bytesUploaded,
      blobsUploaded: this.blobsUploaded,
      blobsMounted: this.blobsMounted,
      blobsSkipped: this.blobsSkipped,
      manifests: this.manifests,
      manifestsSkipped: this.manifestsSkipped,
      referrers: this.referrers,
      durationMs: Math.round(performance.now() - this.startedAt),
    };
  }
}
