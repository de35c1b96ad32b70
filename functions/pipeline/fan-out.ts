/**
 * The stages as queue steps: each does its part for one message and sends the next stage's
 * messages (design.md "The flow"). Fan-out keeps every invocation short: detect handles one
 * image and sends one validate message per tag that needs work; promote sends one rebuild
 * message per dependent. Redeliveries are harmless: each step finds its earlier records.
 */
import { mapLimit } from '../map-limit';
import { checkTag, detectImage, recordCheck, type DetectDeps, type TagCheck } from './detect';
import { MessageRefused, newMessage } from './messages';
import type { PromoteDeps } from './promote';
import type { Queue } from './queue';
import { rebuildEvent } from './rebuild';
import { promotionId } from './records';
import { needsValidation, owedRebuilds, promoteStage, validateStage, type PromoteStageResult, type StageJob, type ValidateStageResult } from './stages';
import type { TrackedImage } from './tracked-image';
import { recordFailedCheck } from './upstream-missing';
import type { ValidateDeps } from './validate';
import { inSpan, linkToActive, NEW_TRACE } from '../telemetry/tracing';

/** Tags of one image checked at once: one HEAD each, the registry client bounds requests per host too. */
const TAG_CONCURRENCY = 8;

/** What detect found for one tag and what it did about it. */
export interface DetectedTag {
  tag: string;
  status: TagCheck['status'];
  digest?: string;
  previousDigest?: string;
  /** `validate`: a validate message was sent; `none`: nothing to do; `failed`: the check failed. */
  action: 'validate' | 'none' | 'failed';
  reason?: string;
  /** The failure may pass (throttling, outage): the next detect tries again. */
  temporary?: boolean;
  correlationId: string;
}

/** Whether an image tracks a tag: listed, or selected by its tag policy. */
export function tracksTag(image: TrackedImage, tag: string): boolean {
  return image.tags ? image.tags.includes(tag) : (image.selectTags?.([tag]) ?? []).includes(tag);
}

/** Detects one image (every tracked tag, or the one asked for) and sends a validate message per tag that needs one. */
export async function detectAndFanOut(image: TrackedImage, request: { tag?: string; correlationId: string }, deps: DetectDeps & { queue: Queue }): Promise<DetectedTag[]> {
  return inSpan('basegate.detect.image', { attributes: { 'basegate.image': image.id, ...(request.tag ? { 'basegate.tag': request.tag } : {}) } }, () => detectOnce(image, request, deps));
}

async function detectOnce(image: TrackedImage, request: { tag?: string; correlationId: string }, deps: DetectDeps & { queue: Queue }): Promise<DetectedTag[]> {
  const { tag } = request;
  if (tag !== undefined && !tracksTag(image, tag)) {
    throw new MessageRefused('MESSAGE_UNTRACKED', `tag ${JSON.stringify(tag)} of ${image.source} is not tracked by basegate.yaml (images entry ${image.id})`);
  }
  const checks = tag !== undefined ? [await checkTag(image, tag, deps)] : await detectImage(image, deps);
  // A trace per digest decision: each tag's span starts a trace of its own, linked to the image's detect.
  const links = linkToActive();
  return mapLimit(checks, TAG_CONCURRENCY, (check) =>
    inSpan('basegate.detect', { parent: NEW_TRACE, links, attributes: { 'basegate.image': image.id, 'basegate.tag': check.tag, ...(check.digest ? { 'basegate.digest': check.digest } : {}) } }, async (span) => {
      const detected = await detectedTag(image, check, request.correlationId, deps);
      span.setAttributes({ 'basegate.outcome': detected.status, 'basegate.action': detected.action });
      return detected;
    }),
  );
}

/** What detect does about one checked tag: record it, and send a validate message when it needs one. */
async function detectedTag(image: TrackedImage, check: TagCheck, requestCorrelationId: string, deps: DetectDeps & { queue: Queue }): Promise<DetectedTag> {
  const correlationId = `${requestCorrelationId}/${check.tag}`;
  const base = { tag: check.tag, status: check.status, digest: check.digest, previousDigest: check.previousDigest, correlationId };
  if (check.status === 'failed' || !check.digest) {
    const reason = check.tag !== '*' ? (await recordFailedCheck(image, check, deps, correlationId)).reason : check.error;
    return { ...base, action: 'failed', reason, temporary: check.temporary };
  }
  const tagState = await recordCheck(image, check, deps, correlationId);
  const { needed, reason } = await needsValidation(image, tagState, check.digest, deps);
  if (!needed) return { ...base, action: 'none', reason };
  await deps.queue.send(newMessage('validate', { imageId: image.id, tag: check.tag, digest: check.digest, correlationId }));
  return { ...base, action: 'validate', reason };
}

/** Validates one digest and, when approved, sends its promote message. */
export async function validateAndFanOut(job: StageJob & { correlationId: string }, deps: ValidateDeps & { queue: Queue }): Promise<ValidateStageResult> {
  const result = await validateStage(job, deps);
  if (result.status === 'approved') {
    await deps.queue.send(newMessage('promote', { imageId: job.image.id, tag: job.tag, digest: job.digest, correlationId: job.correlationId }));
  }
  return result;
}

/** Promotes one digest (or finds it promoted) and sends a rebuild message per dependent still owed one. */
export async function promoteAndFanOut(job: StageJob & { correlationId: string }, deps: PromoteDeps & { queue: Queue }): Promise<PromoteStageResult & { rebuilds: string[] }> {
  const result = await promoteStage(job, deps);
  const { outcome } = result;
  if (!outcome.movedTag) return { ...result, rebuilds: [] };
  const event = rebuildEvent(job.image, job.tag, outcome, deps.clock);
  const dependents = result.fresh ? job.image.dependents : await owedRebuilds(job.image, promotionId(event), deps.state);
  await Promise.all(
    dependents.map((d) => deps.queue.send(newMessage('rebuild', { imageId: job.image.id, tag: job.tag, dependent: d.id, event, correlationId: job.correlationId }))),
  );
  return { ...result, rebuilds: dependents.map((d) => d.id) };
}
