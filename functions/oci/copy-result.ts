/** What a copy did: the counts a promotion records and a benchmark prints. */
import type { PromoteResult } from '../pipeline/ports';

/** Result of {@link copyImage}: the pipeline's `PromoteResult` plus what only a copy knows. */
export interface CopyResult extends PromoteResult {
  /** The pinned source digest (`digest` differs from it only when a platform filter wrote a new index). */
  sourceDigest: string;
  mediaType: string;
  /** Manifests the target already had (their content was not walked again). */
  manifestsSkipped: number;
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
