/**
 * The state of one copy: resolved options, counters, and the rules every step follows.
 * - Leaf operations (one request, one blob transfer) run through the shared limiter; steps
 *   that wait on other steps never hold a slot, so a shared limiter cannot deadlock.
 * - The first failure stops the copy: no new operation starts after it (each checks in when
 *   it gets its slot), the ones in flight finish, and the copy rejects with that first error
 *   only once nothing of it is still running, so a caller's re-run never races a straggler.
 */
import { BasegateError } from '../errors';
import type { Closure } from './closure';
import type { CopyProgressEvent, ResolvedCopyOptions } from './copy-options';
import { CopyStats } from './copy-result';
import { BlobCopier } from './blob-copier';
import type { ImageRef } from './reference';

/** One copy in progress. */
export class CopyRun {
  readonly stats = new CopyStats();
  readonly blobs: BlobCopier;
  private failure: { error: unknown } | undefined;
  private tags: Promise<ReadonlySet<string> | undefined> | undefined;
  private resolved: Closure | undefined;

  constructor(readonly options: ResolvedCopyOptions) {
    this.blobs = new BlobCopier(this);
  }

  /** What this copy writes, resolved and bounded before anything else (closure.ts). */
  get closure(): Closure {
    if (!this.resolved) throw new BasegateError('COPY_NO_CLOSURE', 'the closure is resolved before anything is copied');
    return this.resolved;
  }

  set closure(closure: Closure) {
    this.resolved = closure;
  }

  /** The source manifest or blob at `digest`. */
  sourceAt(digest: string): ImageRef {
    return this.options.sourceRef.withDigest(digest);
  }

  /** The source repository at `tag` (no digest). */
  sourceTagged(tag: string): ImageRef {
    return this.options.sourceRef.withRepository(this.options.sourceRef.repository).withTag(tag);
  }

  /**
   * The source repository's tags, listed once per copy (a page or two) when referrers are looked
   * up: each subject's referrers tag and cosign tags are then checked against the list instead
   * of asked for one request each. Undefined when the listing fails: each lookup then asks.
   */
  sourceTags(): Promise<ReadonlySet<string> | undefined> {
    this.tags ??= this.task(() => this.options.source.tagList(this.options.sourceRef)).then(
      (tags) => new Set(tags),
      () => undefined,
    );
    return this.tags;
  }

  /** The target repository at `digest`. */
  targetAt(digest: string): ImageRef {
    return this.options.targetRepo.withDigest(digest);
  }

  /** Throws when the copy must stop: an earlier step failed, or the caller aborted. */
  checkpoint(): void {
    if (this.failure) throw this.failure.error;
    this.options.signal?.throwIfAborted();
  }

  /** Runs one leaf operation when the limiter allows and the copy is still going. */
  task<T>(operation: () => Promise<T>): Promise<T> {
    return this.options.limit(async () => {
      this.checkpoint();
      return operation();
    });
  }

  /** Runs `step` for every item concurrently; waits for all of them, then rethrows the copy's first failure. */
  async all<T, R>(items: readonly T[], step: (item: T) => Promise<R>): Promise<R[]> {
    const settled = await Promise.allSettled(
      items.map(async (item) => {
        try {
          return await step(item);
        } catch (error) {
          this.failure ??= { error };
          throw error;
        }
      }),
    );
    if (this.failure) throw this.failure.error;
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  }

  /** Reports progress; a listener that throws fails the copy at this point. */
  emit(event: CopyProgressEvent): void {
    this.options.onProgress?.(event);
  }
}
