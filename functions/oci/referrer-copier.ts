/**
 * Copies what refers to the copied manifests (signatures, SBOMs, attestations): exactly the
 * referrers of the resolved closure (closure.ts), which are the ones the gates saw.
 * - Referrers the source listed (its referrers API, its referrers tag, or a layout's scan) are
 *   copied like any manifest, then made visible in the target: natively when it indexes
 *   `subject` (referrers API, layout), else through the referrers tag (referrers-tag.ts).
 * - cosign's tag schema (`sha256-<hex>.sig|.att|.sbom`, manifests without `subject`) is copied
 *   under the same tag, after its content.
 * - Referrers of referrers follow, depth by depth (the closure's bound).
 * Referrers of a filtered index are not in the closure: their subject is not in the target.
 */
import type { CopyRun } from './copy-run';
import type { ClosureReferrer } from './closure';
import { copyManifest } from './manifest-copier';
import { ensureReferrersListed } from './referrers-tag';
import { setTag } from './set-tag';

/** Copies the closure's referrers, subjects first: a depth after the one before it. */
export async function copyReferrers(run: CopyRun): Promise<void> {
  const all = run.closure.referrers;
  for (let depth = 0; all.some((r) => r.depth >= depth); depth++) {
    const bySubject = new Map<string, ClosureReferrer[]>();
    for (const r of all.filter((x) => x.depth === depth)) bySubject.set(r.subject, [...(bySubject.get(r.subject) ?? []), r]);
    const subjects = [...bySubject.keys()];
    const copyOne = async (subject: string): Promise<void> => {
      const links = bySubject.get(subject)!;
      const listed = links.filter((l) => l.tag === undefined);
      await run.all(listed, async (link) => {
        const copied = await copyManifest(run, link.descriptor.digest);
        if (copied.pushed) run.stats.referrers++;
        run.emit({ type: 'referrer', subject, digest: copied.digest, action: copied.pushed ? 'pushed' : 'skipped' });
      });
      if (listed.length > 0) await ensureReferrersListed(run, subject, listed.map((l) => l.descriptor));
      await run.all(
        links.filter((l) => l.tag !== undefined),
        async (link) => {
          const copied = await copyManifest(run, link.descriptor.digest);
          if (copied.pushed) run.stats.referrers++;
          run.emit({ type: 'referrer', subject, digest: copied.digest, action: copied.pushed ? 'pushed' : 'skipped' });
          await setTag(run, link.tag!, copied);
        },
      );
    };
    // The first subject alone first: its answer tells whether the target has the referrers API, so the others need not ask.
    await run.all(subjects.slice(0, 1), copyOne);
    await run.all(subjects.slice(1), copyOne);
  }
}
