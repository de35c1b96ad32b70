/**
 * Rebuild: tell every dependent that its base image was promoted, once per promoted digest.
 *
 * Exactly-once effect over at-least-once delivery: the (promoted digest, dependent) pair is
 * claimed in the state before the trigger is sent and marked sent after. A redelivered job
 * finds `sent` and does nothing. A claim left by a worker that died mid-send is taken over
 * after a lease; the trigger carries a stable delivery id so receivers can drop that rare
 * duplicate. A failing dependent is retried with backoff and then reported; it never blocks
 * the others.
 */
import { describeError, isTemporary } from '../errors';
import type { Clock, RebuildEvent, RebuildTrigger, StateStore } from './ports';
import type { PromotionOutcome } from './promote';
import { promotionId, rebuildKey, type RebuildRecord } from './records';
import { updateRecord } from './update-record';
import type { DependentSpec, TrackedImage } from './tracked-image';
import { inSpan } from '../telemetry/tracing';

export interface RebuildJob {
  image: TrackedImage;
  tag: string;
  dependent: DependentSpec;
  event: RebuildEvent;
  correlationId?: string;
}

export interface RebuildDeps {
  state: StateStore;
  clock: Clock;
  triggerFor(dependent: DependentSpec, image: TrackedImage): RebuildTrigger;
  /** Attempts within one run and their backoff; later runs retry what is left as `retry`. */
  retry?: { attempts: number; baseMs: number; maxMs: number };
  sleep?(ms: number): Promise<void>;
  signal?: AbortSignal;
}

const DEFAULT_RETRY = { attempts: 3, baseMs: 1000, maxMs: 30_000 };
/** A `sending` claim older than this belongs to a worker that died: take it over. */
const CLAIM_LEASE_MS = 10 * 60_000;
/** Attempts over all runs before a failing dependent is reported as failed for good. */
const MAX_TOTAL_ATTEMPTS = 10;

/** The event every dependent of a promotion receives. */
export function rebuildEvent(image: TrackedImage, tag: string, outcome: PromotionOutcome, clock: Clock): RebuildEvent {
  return {
    event: 'base-image-promoted',
    image: image.source.withTag(tag).toString(),
    tag,
    digest: outcome.promoted.targetDigest,
    previousDigest: outcome.previous?.targetDigest,
    target: image.target.withDigest(outcome.promoted.targetDigest).toString(),
    immutableTag: outcome.promoted.immutableTag,
    time: clock.now().toISOString(),
    ...(outcome.diff ? { diff: outcome.diff } : {}),
  };
}

/** What {@link runRebuild} left: the record, and whether this call is the one that settled it (sent or skipped). */
export interface RebuildRun {
  record: RebuildRecord;
  settledHere: boolean;
}

/** Triggers one dependent for one promoted digest unless that already happened. */
export async function runRebuild(job: RebuildJob, deps: RebuildDeps): Promise<RebuildRun> {
  const attributes = { 'basegate.image': job.image.id, 'basegate.tag': job.tag, 'basegate.target_digest': job.event.digest, 'basegate.dependent': job.dependent.id };
  return inSpan('basegate.rebuild', { attributes }, async (span) => {
    const run = await rebuildOnce(job, deps);
    span.setAttributes({ 'basegate.outcome': run.record.status, 'basegate.settled_here': run.settledHere });
    return run;
  });
}

async function rebuildOnce(job: RebuildJob, deps: RebuildDeps): Promise<RebuildRun> {
  const key = rebuildKey(promotionId(job.event), job.dependent.id);
  const now = () => deps.clock.now();
  let claimed = false;
  const claim = await updateRecord<RebuildRecord>(deps.state, 'rebuild', key, (current) => {
    claimed = false;
    if (current && (current.status === 'sent' || current.status === 'skipped' || current.status === 'failed')) return undefined;
    if (current?.status === 'sending' && now().getTime() - Date.parse(current.at) < CLAIM_LEASE_MS) return undefined;
    claimed = true;
    return {
      imageId: job.image.id,
      tag: job.tag,
      dependent: job.dependent.id,
      targetDigest: job.event.digest,
      status: 'sending',
      attempts: current?.attempts ?? 0,
      at: now().toISOString(),
    };
  });
  if (!claimed) return { record: claim!, settledHere: false };

  const retry = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let attempts = claim!.attempts;
  let lastError = '';
  let temporary = true;
  for (let i = 0; i < retry.attempts && temporary; i++) {
    if (i > 0) await sleep(Math.min(retry.maxMs, retry.baseMs * 2 ** (i - 1)));
    attempts++;
    try {
      const outcome = await deps.triggerFor(job.dependent, job.image).trigger(job.event, { signal: deps.signal });
      const record: RebuildRecord = { ...claim!, status: outcome.status === 'skipped' ? 'skipped' : 'sent', attempts, runId: outcome.runId, detail: outcome.detail, at: now().toISOString() };
      await deps.state.put('rebuild', key, record);
      await audit(deps, job, record);
      return { record, settledHere: true };
    } catch (err) {
      lastError = describeError(err);
      temporary = isTemporary(err);
    }
  }
  const gaveUp = !temporary || attempts >= MAX_TOTAL_ATTEMPTS;
  const record: RebuildRecord = {
    ...claim!,
    status: gaveUp ? 'failed' : 'retry',
    attempts,
    lastError,
    at: now().toISOString(),
    ...(gaveUp ? {} : { nextAttemptAt: new Date(now().getTime() + retry.maxMs).toISOString() }),
  };
  await deps.state.put('rebuild', key, record);
  await audit(deps, job, record);
  return { record, settledHere: false };
}

async function audit(deps: RebuildDeps, job: RebuildJob, record: RebuildRecord): Promise<void> {
  await deps.state.appendAudit({
    at: record.at,
    stage: 'rebuild',
    subject: job.event.image,
    digest: job.event.digest,
    outcome: record.status === 'sent' ? 'triggered' : record.status,
    correlationId: job.correlationId,
    detail: { dependent: job.dependent.id, attempts: record.attempts, runId: record.runId, detail: record.detail, error: record.lastError },
  });
}
