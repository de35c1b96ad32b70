/**
 * Copies what refers to the copied manifests: signatures, SBOMs, attestations.
 * - Referrers the source lists (its referrers API, its referrers tag, or a layout's scan) are
 *   copied like any manifest, then made visible in the target: natively when it indexes
 *   `subject` (referrers API, layout), else through the referrers tag (referrers-tag.ts).
 * - cosign's tag schema (`sha256-<hex>.sig|.att|.sbom`, manifests without `subject`) is looked
 *   up in the source's tag list (listed once per copy; a HEAD on each tag when listing fails)
 *   and copied under the same tag, after its content.
 * - Referrers of referrers follow, up to a fixed depth.
 * Referrers of a filtered index are not copied: their subject is not in the target.
 */
import type { CopyRun } from './copy-run';
import { copyManifest } from './manifest-copier';
import { ensureReferrersListed, referrersTag } from './referrers-tag';
import { setTag } from './set-tag';

/** Copies the referrers of each subject (digests present in the target), and theirs, up to the configured depth. */
export async function copyReferrers(run: CopyRun, subjects: readonly string[], depth = 0): Promise<void> {
  if (depth >= run.options.referrerDepth || subjects.length === 0) return;
  const { source, cosignSuffixes } = run.options;
  const next: string[] = [];
  const tags = await run.sourceTags();
  const lookUp = async (subject: string): Promise<void> => {
    const listed = await run.task(() => source.referrers(run.sourceAt(subject), { tags }));
    await run.all(listed, async (descriptor) => {
      const copied = await copyManifest(run, descriptor, { subjects: next });
      if (copied.pushed) run.stats.referrers++;
      run.emit({ type: 'referrer', subject, digest: copied.digest, action: copied.pushed ? 'pushed' : 'skipped' });
    });
    if (listed.length > 0) await ensureReferrersListed(run, subject, listed);
    // cosign names its tags after sha256 digests only (a sha512 name could pass the 128-character tag limit).
    await run.all(subject.startsWith('sha256:') ? cosignSuffixes : [], async (suffix) => {
      const tag = `${referrersTag(subject)}.${suffix}`;
      if (tags && !tags.has(tag)) return;
      const found = await run.task(() => source.manifestHead(run.sourceTagged(tag)));
      if (!found) return;
      const copied = await copyManifest(run, found, { subjects: next });
      if (copied.pushed) run.stats.referrers++;
      run.emit({ type: 'referrer', subject, digest: copied.digest, action: copied.pushed ? 'pushed' : 'skipped' });
      await setTag(run, tag, copied);
    });
  };
  // The first subject alone first: its answer tells whether the source has the referrers API, so the others need not ask.
  const unique = [...new Set(subjects)];
  await run.all(unique.slice(0, 1), lookUp);
  await run.all(unique.slice(1), lookUp);
  await copyReferrers(run, next, depth + 1);
}
