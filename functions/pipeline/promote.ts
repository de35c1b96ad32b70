/**
 * Promote: put an approved digest into the base-image registry, by digest, never by tag.
 *
 * Nothing unapproved passes: the verdict on exactly this digest must be `approved`.
 * The moving tag follows the newest digest seen upstream only: a late promotion of an older
 * digest (a redelivered or reordered message) gets its immutable tag but does not move the
 * moving tag backwards. Re-running a promotion is a no-op in the target (same bytes, same tags).
 */
import { BasegateError } from '../errors';
import type { Clock, PromoteResult, Promoter, StateStore } from './ports';
import { bounded, digestKey, newTagState, tagKey, type PromotedRef, type TagState, type Verdict } from './records';
import { briefDiff, type DiffBrief } from './diff';
import { updateRecord } from './update-record';
import { vulnerabilitySummaryOf } from './vulnerability-summary';
import type { TrackedImage } from './tracked-image';
import { firstSeenAt } from './detect';
import { recordPromotion } from '../telemetry/metrics';

export interface PromoteJob {
  image: TrackedImage;
  tag: string;
  digest: string;
  correlationId?: string;
}

export interface PromoteDeps {
  promoter: Promoter;
  state: StateStore;
  clock: Clock;
}

export interface PromotionOutcome {
  result: PromoteResult;
  promoted: PromotedRef;
  /** Source digest promoted before this one, if any. */
  previous?: PromotedRef;
  /** Whether the moving tag now points at this digest. */
  movedTag: boolean;
  /** The brief of what changed since the previous promotion, from the verdict, when it was computed. */
  diff?: DiffBrief;
}

/** Promotions kept per tag for rollback. */
const HISTORY_KEPT = 50;

/** Promotes one approved digest and records it; throws `NOT_APPROVED` for anything else. */
export async function promoteDigest(job: PromoteJob, deps: PromoteDeps): Promise<PromotionOutcome> {
  const { image, tag, digest } = job;
  const verdict = await deps.state.get<Verdict>('verdict', digestKey(image.id, digest));
  if (verdict?.value.outcome !== 'approved' || verdict.value.fingerprint !== image.gatesFingerprint) {
    throw new BasegateError('NOT_APPROVED', `${image.source.withTag(tag)}@${digest} has no approved verdict under the current gates; it is not promoted`);
  }
  // An approval without the closure its gates judged covers nothing it could be checked against.
  if (!verdict.value.closure) throw new BasegateError('NOT_APPROVED', `${image.source.withTag(tag)}@${digest}: its verdict records no judged closure; it is validated again before it is promoted`);
  const key = tagKey(image.id, tag);
  const before = (await deps.state.get<TagState>('tag', key))?.value;
  const movedTag = before?.seenDigest === undefined || before.seenDigest === digest;
  const immutableTag = image.immutableTag(tag, digest);
  const result = await deps.promoter.promote({
    source: image.source.withTag(tag).withDigest(digest),
    target: image.target,
    tags: movedTag ? [tag, immutableTag] : [immutableTag],
    platforms: image.platforms ? [...image.platforms] : undefined,
    referrers: true,
    judged: verdict.value.closure,
    limits: image.closureLimits,
  });
  const now = deps.clock.now().toISOString();
  const promoted: PromotedRef = { sourceDigest: digest, targetDigest: result.digest, immutableTag, at: now };
  let previous: PromotedRef | undefined;
  await updateRecord<TagState>(deps.state, 'tag', key, (current) => {
    const base: TagState = current ?? newTagState(image, tag);
    previous = base.promoted;
    const history = (base.history ?? []).filter((h) => h.sourceDigest !== digest);
    if (!movedTag) return { ...base, history: bounded([...history, promoted], HISTORY_KEPT) };
    return { ...base, status: 'promoted', reason: undefined, rolledBackFrom: undefined, hold: undefined, promoted, history: bounded([...history, promoted], HISTORY_KEPT) };
  });
  await deps.state.put('promotion', `${image.target.name}@${result.digest}`, { imageId: image.id, tag, ...promoted, result });
  await deps.state.appendAudit({
    at: now,
    stage: 'promote',
    subject: image.source.withTag(tag).toString(),
    digest,
    outcome: 'promoted',
    correlationId: job.correlationId,
    detail: { target: image.target.withDigest(result.digest).toString(), tags: result.tags, bytesUploaded: result.bytesUploaded, blobsUploaded: result.blobsUploaded, blobsMounted: result.blobsMounted, blobsSkipped: result.blobsSkipped, referrers: result.referrers, durationMs: result.durationMs },
  });
  // Lag from the digest first seen upstream: cooldowns, holds and retries included.
  const seen = firstSeenAt(before, digest);
  recordPromotion(seen ? (deps.clock.now().getTime() - seen.getTime()) / 1000 : undefined);
  const diff = verdict.value.diff && verdict.value.diff.from === previous?.sourceDigest ? briefDiff({ ...verdict.value.diff, vulnerabilities: vulnerabilitySummaryOf(verdict.value) }) : undefined;
  return { result, promoted, previous: previous?.sourceDigest === digest ? undefined : previous, movedTag, ...(diff ? { diff } : {}) };
}
