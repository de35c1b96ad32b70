/**
 * Retag protection (issue #17): a tag that moves back upstream is held, not promoted. Verdicts
 * are kept per digest, so without this a tag pointed back at a digest approved long ago would be
 * promoted again at once: a registry compromise, a mistaken push or a rollback nobody reviewed.
 * Decided in the validate stage (both runners), after the gates approved the digest, never in a
 * gate (a gate's verdict is about the digest, this is about the tag's history). A move back is:
 * - to a digest the tag pointed at before the promoted one (detect keeps when each recent digest
 *   was first seen: {@link FIRST_SEEN_KEPT}), or one promoted under the tag before (the history);
 * - or to a digest older than the promoted one by its `created` (the newest platform config's);
 *   equal or epoch-0 values, as reproducible builds have, do not count.
 * The tag is held with reason `moved back to an earlier digest (…)` unless the image sets
 * `allowUpstreamRollback: true`; `basegate approve` (or POST /api/approvals) releases it, `reject`
 * rejects the digest for the tag: decisions are kept per hold (approval-decision.ts). The hold and
 * its release are audited.
 */
import type { ImageInspector } from './gate-port';
import type { Clock, StateStore } from './ports';
import { holdDecisionKey } from './approval-decision';
import { newTagState, tagKey, type Approval, type TagState } from './records';
import type { TrackedImage } from './tracked-image';
import { updateRecord } from './update-record';

/** Why promoting `digest` would move the tag back, or undefined. Reads both images' configs only when the history does not tell. */
export async function movedBack(image: TrackedImage, state: TagState | undefined, digest: string, inspect: (digest: string) => ImageInspector): Promise<string | undefined> {
  const promoted = state?.promoted;
  if (image.allowUpstreamRollback || !promoted || promoted.sourceDigest === digest) return undefined;
  const seen = state?.firstSeen ?? [];
  const at = (d: string) => seen.findIndex((f) => f.digest === d);
  if (at(digest) >= 0 && at(promoted.sourceDigest) >= 0 && at(digest) < at(promoted.sourceDigest)) {
    return `moved back to an earlier digest: ${digest} was seen under ${state!.tag} before the promoted ${promoted.sourceDigest}`;
  }
  const before = state?.history?.find((h) => h.sourceDigest === digest);
  if (before) return `moved back to an earlier digest: ${digest} was promoted under ${state!.tag} before (${before.immutableTag}), the promoted one is ${promoted.sourceDigest}`;
  const [candidate, current] = await Promise.all([newestCreated(inspect(digest)), newestCreated(inspect(promoted.sourceDigest)).catch(() => undefined)]);
  if (candidate !== undefined && current !== undefined && candidate < current) {
    return `moved back to an earlier digest: created ${new Date(candidate).toISOString()}, older than the promoted ${promoted.sourceDigest} (created ${new Date(current).toISOString()})`;
  }
  return undefined;
}

/** The newest `created` of an image's platform configs, in epoch ms; undefined when none is a real time. */
async function newestCreated(inspector: ImageInspector): Promise<number | undefined> {
  const platforms = await inspector.platforms();
  const times = await Promise.all(platforms.map(async (p) => Date.parse((await inspector.config(p)).created ?? '')));
  const real = times.filter((t) => Number.isFinite(t) && t > 0);
  return real.length ? Math.max(...real) : undefined;
}

/** What the guard decided for an approved digest: promote it, or hold it (with the reason recorded on the tag). */
export type RetagDecision = { hold: false } | { hold: true; status: 'pending' | 'rejected'; reason: string };

/**
 * Checks an approved digest against the tag's history and records a hold: the tag's status and
 * `hold`, and one audit entry when the hold starts. A person's decision after the hold starts
 * releases it (approve) or rejects the digest for the tag (reject); an older decision (the
 * approval gate's) does not.
 */
export async function retagGuard(job: { image: TrackedImage; tag: string; digest: string; correlationId?: string }, tagState: TagState | undefined, deps: { state: StateStore; clock: Clock; inspect(digest: string): ImageInspector }): Promise<RetagDecision> {
  const { image, tag, digest } = job;
  const held = tagState?.hold?.digest === digest ? tagState.hold : undefined;
  const reason = held?.reason ?? (await movedBack(image, tagState, digest, deps.inspect));
  if (!reason) return { hold: false };
  const now = deps.clock.now().toISOString();
  const since = held?.since ?? now;
  const decided = held ? (await deps.state.get<Approval>('approval', holdDecisionKey(image.id, tag, digest, since)))?.value : undefined;
  if (decided?.decision === 'approved') {
    if (held) await deps.state.appendAudit({ at: now, stage: 'promote', subject: image.source.withTag(tag).toString(), digest, outcome: 'hold-released', correlationId: job.correlationId, detail: { reason, by: decided.by } });
    return { hold: false };
  }
  const status = decided ? 'rejected' : 'pending';
  const shown = decided ? `${reason}; rejected by ${decided.by ?? 'a person'} at ${decided.at}${decided.reason ? `: ${decided.reason}` : ''}` : `${reason}; basegate approve releases it (allowUpstreamRollback: true accepts such moves)`;
  await updateRecord<TagState>(deps.state, 'tag', tagKey(image.id, tag), (current) => {
    const base = current ?? newTagState(image, tag);
    // A late message about a digest the tag has moved away from must not relabel the tag.
    if (base.seenDigest && base.seenDigest !== digest) return undefined;
    return { ...base, status, reason: shown, hold: { digest, reason, since } };
  });
  if (!held) await deps.state.appendAudit({ at: now, stage: 'promote', subject: image.source.withTag(tag).toString(), digest, outcome: 'held', correlationId: job.correlationId, detail: { reason, promoted: tagState?.promoted?.sourceDigest } });
  return { hold: true, status, reason: shown };
}
