/**
 * Copies an image between any two `Registry` backends (registry ↔ registry, registry ↔ OCI
 * layout), written once over the port. First the whole closure (closure.ts: every manifest,
 * nested index and referrer) is resolved and bounded, and checked against what the gates
 * judged when the caller says: a closure over its bounds, or holding anything not judged, is
 * refused before any byte moves. Then the order makes a crash harmless:
 *
 *   blobs → their manifest → an index after its children → referrers → tags, last.
 *
 * Everything written before the tags is content-addressed and complete on its own, so a copy
 * killed (or aborted, or failed on a corrupted blob) at any point leaves no tag pointing at
 * something incomplete, and a re-run skips what is already there and finishes. Without a
 * platform filter the target digest equals the source digest: manifests are copied as bytes.
 * Blobs are skipped when present, mounted from another repository of the target when known,
 * uploaded otherwise, always verified while streaming (blob-copier.ts).
 */
import { resolveClosure } from './closure';
import { assertJudged } from './closure-judged';
import { resolveCopyOptions, type CopyOptions } from './copy-options';
import type { CopyResult } from './copy-result';
import { CopyRun } from './copy-run';
import { copyManifest } from './manifest-copier';
import { copyReferrers } from './referrer-copier';
import { setTag } from './set-tag';

export type { CopyOptions, CopyProgressEvent } from './copy-options';
export type { CopyResult } from './copy-result';

/** Copies the pinned source image (index, children, blobs, referrers) into the target repository and sets its tags last. */
export async function copyImage(options: CopyOptions): Promise<CopyResult> {
  const resolved = resolveCopyOptions(options);
  const run = new CopyRun(resolved);
  run.checkpoint();
  const { source, sourceRef, judged } = resolved;
  run.closure = await resolveClosure({
    source,
    ref: sourceRef,
    platforms: resolved.platforms,
    limits: resolved.limits,
    referrers: resolved.referrers
      ? { depth: resolved.referrerDepth, cosignSuffixes: resolved.cosignSuffixes, tags: () => run.sourceTags(), ...(judged ? { only: new Set(judged.referrers) } : {}) }
      : undefined,
    task: (operation) => run.task(operation),
  });
  if (judged) assertJudged(run.closure, judged, `copy of ${sourceRef}`);
  const sourceDigest = sourceRef.digest as string;
  const top = await copyManifest(run, sourceDigest);
  if (resolved.referrers) await copyReferrers(run);
  for (const tag of resolved.tags) {
    run.checkpoint();
    await setTag(run, tag, top);
  }
  return run.stats.result({ digest: top.digest, sourceDigest, mediaType: top.mediaType, tags: resolved.tags });
}
