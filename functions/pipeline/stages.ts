/**
 * The per-stage steps both runners share: the CLI's in-process sync (sync.ts) and the Functions
 * app's queue handlers (functions/handlers/). Each step takes a pinned digest and is idempotent:
 * run twice for the same (image, tag, digest), the second run finds its own records and changes
 * nothing.
 */
import type { Clock, StateStore } from './ports';
import { promoteDigest, type PromoteDeps, type PromotionOutcome } from './promote';
import { digestKey, newTagState, rebuildKey, tagKey, type Approval, type PromotedRef, type RebuildRecord, type TagState, type TagStatus, type Verdict } from './records';
import type { TrackedImage } from './tracked-image';
import { updateRecord } from './update-record';
import { holdDecisionKey } from './approval-decision';
import { retagGuard } from './retag-guard';
import { heldBecause, validateDigest, type ValidateDeps } from './validate';
import { inSpan } from '../telemetry/tracing';

/** One digest of one tracked tag, as a stage receives it. */
export interface StageJob {
  image: TrackedImage;
  tag: string;
  digest: string;
  correlationId?: string;
  /** Re-decide what is decided (sync --force). */
  force?: boolean;
}

/** What the validate step decided. */
export type ValidateStageResult =
  /** The digest is already promoted under the tag: nothing to validate (its rebuilds may still be owed). */
  | { status: 'promoted-already'; tagState: TagState }
  /** The moving tag was rolled back from this digest: not promoted again until upstream moves on or forced. */
  | { status: 'rolled-back'; reason: string; tagState: TagState }
  | { status: 'rejected' | 'pending'; reason: string; verdict: Verdict }
  | { status: 'approved'; verdict: Verdict };

/** Validates one digest unless that is already settled; records a held tag's status and reason. */
export async function validateStage(job: StageJob, deps: ValidateDeps): Promise<ValidateStageResult> {
  return inSpan('basegate.validate', { attributes: spanAttributes(job) }, async (span) => {
    const result = await validateOnce(job, deps);
    span.setAttribute('basegate.outcome', result.status);
    return result;
  });
}

/** The attributes every stage span carries. */
export function spanAttributes(job: { image: TrackedImage; tag: string; digest?: string }): Record<string, string> {
  return { 'basegate.image': job.image.id, 'basegate.tag': job.tag, ...(job.digest ? { 'basegate.digest': job.digest } : {}) };
}

async function validateOnce(job: StageJob, deps: ValidateDeps): Promise<ValidateStageResult> {
  const { image, tag, digest } = job;
  const tagState = (await deps.state.get<TagState>('tag', tagKey(image.id, tag)))?.value;
  if (tagState && !job.force && tagState.promoted?.sourceDigest === digest) return { status: 'promoted-already', tagState };
  if (tagState && !job.force && tagState.rolledBackFrom === digest) {
    return { status: 'rolled-back', reason: `rolled back from ${digest}: not promoted again until upstream moves on or sync --force`, tagState };
  }
  const verdict = await validateDigest({ image, tag, digest, force: job.force, correlationId: job.correlationId }, deps);
  if (verdict.outcome === 'approved') {
    const guard = await retagGuard(job, tagState, { ...deps, inspect: (d) => deps.inspect({ image, tag, digest: d }) });
    return guard.hold ? { status: guard.status, reason: guard.reason, verdict } : { status: 'approved', verdict };
  }
  const reason = heldBecause(verdict);
  // A late message about a digest the tag has moved away from must not relabel the tag.
  if (!tagState?.seenDigest || tagState.seenDigest === digest) await setTagStatus(deps.state, image, tag, verdict.outcome, reason);
  return { status: verdict.outcome, reason, verdict };
}

/** What the promote step did: promoted now, or found it done before (a redelivery). */
export interface PromoteStageResult {
  outcome: PromotionOutcome;
  /** False when the digest was promoted before and nothing was copied now. */
  fresh: boolean;
}

/** Promotes one approved digest unless the tag's record shows it promoted already. */
export async function promoteStage(job: StageJob, deps: PromoteDeps): Promise<PromoteStageResult> {
  return inSpan('basegate.promote', { attributes: spanAttributes(job) }, async (span) => {
    const result = await promoteOnce(job, deps);
    span.setAttributes({ 'basegate.outcome': result.fresh ? 'promoted' : 'promoted-already', 'basegate.target_digest': result.outcome.result.digest });
    return result;
  });
}

async function promoteOnce(job: StageJob, deps: PromoteDeps): Promise<PromoteStageResult> {
  const tagState = (await deps.state.get<TagState>('tag', tagKey(job.image.id, job.tag)))?.value;
  if (tagState && !job.force) {
    if (tagState.promoted?.sourceDigest === job.digest) return { outcome: outcomeOf(tagState), fresh: false };
    const earlier = tagState.history?.find((h) => h.sourceDigest === job.digest);
    // Promoted before and the moving tag has moved on since: its immutable tag exists, nothing to redo.
    // (When upstream points the tag back at it, and that was allowed or approved, the moving tag follows: promoted again.)
    if (earlier && tagState.seenDigest !== job.digest) return { outcome: { ...outcomeOf(tagState, earlier), movedTag: false }, fresh: false };
  }
  return { outcome: await promoteDigest(job, deps), fresh: true };
}

/** A promotion as recorded in the tag state (the current one unless `promoted` is given), for re-sending rebuilds. */
export function outcomeOf(state: TagState, promoted: PromotedRef = state.promoted as PromotedRef): PromotionOutcome {
  const earlier = (state.history ?? []).filter((h) => h.sourceDigest !== promoted.sourceDigest);
  return {
    promoted,
    previous: earlier[earlier.length - 1],
    movedTag: true,
    result: { digest: promoted.targetDigest, tags: [state.tag, promoted.immutableTag], bytesUploaded: 0, blobsUploaded: 0, blobsMounted: 0, blobsSkipped: 0, manifests: 0, referrers: 0, durationMs: 0 },
  };
}

/** Dependents whose rebuild for a promotion (records.ts promotionId) is not settled yet (never sent, or waiting to retry). */
export async function owedRebuilds(image: TrackedImage, promotion: string, state: StateStore): Promise<TrackedImage['dependents'][number][]> {
  const records = await Promise.all(image.dependents.map((d) => state.get<RebuildRecord>('rebuild', rebuildKey(promotion, d.id))));
  return image.dependents.filter((_, i) => {
    const status = records[i]?.value.status;
    return status === undefined || status === 'retry' || status === 'sending';
  });
}

/**
 * Whether a digest detect saw under a tag still needs the validate stage, and why not when it does not.
 * `tagState` is the tag's record as detect just wrote it (detect.ts recordCheck): not read again.
 */
export async function needsValidation(image: TrackedImage, tagState: TagState | undefined, digest: string, deps: { state: StateStore; clock: Clock }): Promise<{ needed: boolean; reason: string }> {
  if (tagState?.promoted?.sourceDigest === digest) return { needed: false, reason: 'promoted' };
  if (tagState?.rolledBackFrom === digest) return { needed: false, reason: 'rolled back from this digest' };
  const verdict = (await deps.state.get<Verdict>('verdict', digestKey(image.id, digest)))?.value;
  if (!verdict || verdict.fingerprint !== image.gatesFingerprint) return { needed: true, reason: verdict ? 'gates changed' : 'not validated yet' };
  if (verdict.outcome === 'rejected') return { needed: false, reason: 'rejected' };
  if (verdict.outcome === 'approved' && tagState?.hold?.digest === digest) {
    const decided = (await deps.state.get<Approval>('approval', holdDecisionKey(image.id, tagState.tag, digest, tagState.hold.since)))?.value;
    return decided ? { needed: true, reason: `${decided.decision} by a person since the hold` } : { needed: false, reason: tagState.hold.reason };
  }
  if (verdict.outcome === 'approved') return { needed: true, reason: 'approved, not promoted yet' };
  // A person decided since the verdict: act on it now, not when the backoff ends.
  const approval = (await deps.state.get<Approval>('approval', digestKey(image.id, digest)))?.value;
  if (approval && approval.at >= verdict.at) return { needed: true, reason: `${approval.decision} by a person since the last verdict` };
  const due = !verdict.nextAttemptAt || Date.parse(verdict.nextAttemptAt) <= deps.clock.now().getTime();
  return due ? { needed: true, reason: 'pending, due for another look' } : { needed: false, reason: `pending until ${verdict.nextAttemptAt}` };
}

/** Sets a tag's status and reason, creating its record when needed. */
export async function setTagStatus(state: StateStore, image: TrackedImage, tag: string, status: TagStatus, reason: string | undefined): Promise<void> {
  await updateRecord<TagState>(state, 'tag', tagKey(image.id, tag), (current) =>
    current ? { ...current, status, reason } : { ...newTagState(image, tag, status), reason },
  );
}
