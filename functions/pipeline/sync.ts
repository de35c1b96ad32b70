/**
 * Sync: the whole pipeline for every tracked tag, in process (the CLI's `sync`):
 * detect → validate → promote → rebuild, each on the pinned digest detect saw.
 *
 * Every step is idempotent, so a sync after a crash picks up where the last one stopped:
 * an approved but unpromoted digest is promoted, a promotion whose rebuilds were not all sent
 * sends the missing ones, and nothing done is done again.
 */
import { describeError, isTemporary } from '../errors';
import { mapLimit } from '../map-limit';
import { detectImage, recordCheck, type DetectDeps, type TagCheck } from './detect';
import type { Clock, Promoter, StateStore } from './ports';
import type { PromotionOutcome } from './promote';
import { rebuildEvent, runRebuild, type RebuildDeps } from './rebuild';
import type { RebuildRecord } from './records';
import { outcomeOf, promoteStage, setTagStatus, validateStage } from './stages';
import type { TrackedImage } from './tracked-image';
import { recordFailedCheck } from './upstream-missing';
import type { ValidateDeps } from './validate';
import { inSpan, NEW_TRACE } from '../telemetry/tracing';

/** Final state of one tracked tag after a sync. */
export type SyncStatus = 'promoted' | 'unchanged' | 'rejected' | 'pending' | 'failed' | 'upstream-missing' | 'would-validate';

export interface TagReport {
  imageId: string;
  /** Source reference with tag. */
  source: string;
  tag: string;
  status: SyncStatus;
  /** What detect saw: new, changed, unchanged, failed. */
  detected: TagCheck['status'];
  digest?: string;
  previousDigest?: string;
  /** Digest in the target (differs from `digest` when platforms were filtered). */
  targetDigest?: string;
  immutableTag?: string;
  reason?: string;
  bytesUploaded?: number;
  rebuilds?: Array<{ dependent: string; status: RebuildRecord['status']; runId?: string; error?: string }>;
}

export interface SyncReport {
  tags: TagReport[];
  totals: Record<SyncStatus, number>;
  /** True when every tag ended promoted, unchanged, pending or rejected: nothing failed operationally. */
  ok: boolean;
}

export interface SyncOptions {
  /** Detect only and say what would happen; writes nothing. */
  dryRun?: boolean;
  /** Re-validate decided verdicts. */
  force?: boolean;
  /** Images processed at once. */
  concurrency?: number;
  onImageDone?(image: TrackedImage, reports: TagReport[]): void;
}

export interface SyncDeps extends DetectDeps, Omit<ValidateDeps, 'state' | 'clock'>, Omit<RebuildDeps, 'state' | 'clock'> {
  promoter: Promoter;
  state: StateStore;
  clock: Clock;
}

/** Images detected at once; each registry host's own concurrency limit still bounds the requests. */
const DETECT_CONCURRENCY = 32;

/** Runs the pipeline over every image; one image's failure never stops the others. */
export async function sync(images: readonly TrackedImage[], deps: SyncDeps, options: SyncOptions = {}): Promise<SyncReport> {
  // Detect everything first, as wide as the registry client's per-host limits allow: HEADs are
  // cheap, and a run where nothing moved is then one round of them, not one per batch of images.
  const detected = await mapLimit(images, DETECT_CONCURRENCY, (image) => detectImage(image, deps));
  const perImage = await mapLimit(images, options.concurrency ?? 4, async (image, index) => {
    const checks = detected[index];
    const reports = await Promise.all(checks.map((check) => syncTag(image, check, deps, options)));
    options.onImageDone?.(image, reports);
    return reports;
  });
  return summarise(perImage.flat());
}

/** One tag's decision, a trace of its own (telemetry/tracing.ts): detect's record, then validate, promote and rebuild spans inside. */
function syncTag(image: TrackedImage, check: TagCheck, deps: SyncDeps, options: SyncOptions): Promise<TagReport> {
  const attributes = { 'basegate.image': image.id, 'basegate.tag': check.tag, ...(check.digest ? { 'basegate.digest': check.digest } : {}) };
  return inSpan('basegate.detect', { parent: NEW_TRACE, attributes }, async (span) => {
    const report = await syncTagOnce(image, check, deps, options);
    span.setAttribute('basegate.outcome', report.status);
    return report;
  });
}

async function syncTagOnce(image: TrackedImage, check: TagCheck, deps: SyncDeps, options: SyncOptions): Promise<TagReport> {
  const report: TagReport = { imageId: image.id, source: check.source.toString(), tag: check.tag, status: 'failed', detected: check.status, digest: check.digest, previousDigest: check.previousDigest };
  if (check.status === 'failed' || !check.digest) {
    if (options.dryRun || check.tag === '*') return { ...report, status: 'failed', reason: check.error };
    const recorded = await recordFailedCheck(image, check, deps);
    return { ...report, status: recorded.status === 'upstream-missing' ? 'upstream-missing' : 'failed', reason: recorded.reason };
  }
  if (options.dryRun) return { ...report, status: check.status === 'unchanged' ? 'unchanged' : 'would-validate' };
  const job = { image, tag: check.tag, digest: check.digest, force: options.force };
  try {
    await recordCheck(image, check, deps);
    const validated = await validateStage(job, deps);
    switch (validated.status) {
      case 'promoted-already': {
        const promoted = validated.tagState.promoted!;
        return { ...report, status: 'unchanged', targetDigest: promoted.targetDigest, immutableTag: promoted.immutableTag, rebuilds: await rebuildAll(image, check.tag, outcomeOf(validated.tagState), deps) };
      }
      case 'rolled-back':
        return { ...report, status: 'unchanged', targetDigest: validated.tagState.promoted?.targetDigest, reason: validated.reason };
      case 'rejected':
      case 'pending':
        return { ...report, status: validated.status, reason: validated.reason };
    }
    const { outcome } = await promoteStage(job, deps);
    const rebuilds = outcome.movedTag ? await rebuildAll(image, check.tag, outcome, deps) : [];
    return { ...report, status: 'promoted', targetDigest: outcome.result.digest, immutableTag: outcome.promoted.immutableTag, bytesUploaded: outcome.result.bytesUploaded, rebuilds };
  } catch (err) {
    const reason = describeError(err);
    await setTagStatus(deps.state, image, check.tag, 'failed', reason).catch(() => undefined);
    return { ...report, status: 'failed', reason: isTemporary(err) ? `${reason} (temporary: will retry)` : reason };
  }
}

/** Sends every dependent's rebuild for a promotion; already-sent ones are found in state and skipped. */
async function rebuildAll(image: TrackedImage, tag: string, outcome: PromotionOutcome, deps: SyncDeps): Promise<TagReport['rebuilds']> {
  const event = rebuildEvent(image, tag, outcome, deps.clock);
  return Promise.all(
    image.dependents.map(async (dependent) => {
      const { record } = await runRebuild({ image, tag, dependent, event }, deps);
      return { dependent: dependent.id, status: record.status, runId: record.runId, error: record.lastError };
    }),
  );
}

function summarise(tags: TagReport[]): SyncReport {
  const totals: Record<SyncStatus, number> = { promoted: 0, unchanged: 0, rejected: 0, pending: 0, failed: 0, 'upstream-missing': 0, 'would-validate': 0 };
  for (const t of tags) totals[t.status]++;
  const rebuildFailed = tags.some((t) => t.rebuilds?.some((r) => r.status === 'failed' || r.status === 'retry'));
  // A tag deleted upstream fails the run too: the target keeps its copy, but someone should look.
  return { tags, totals, ok: totals.failed === 0 && totals['upstream-missing'] === 0 && !rebuildFailed };
}

