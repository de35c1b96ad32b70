/**
 * Queue `validate` (basegate-validate): the entry of the pipeline. A `detect` request checks one
 * image (or one tag) upstream and sends a validate message per tag that needs work; a `validate`
 * message runs the gates on its pinned digest and, when approved, sends one promote message.
 */
import type { InvocationContext } from '@azure/functions';
import { detectAndFanOut, validateAndFanOut } from '../pipeline/fan-out';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { runQueueMessage, type QueueStep } from './queue-invocation';

/** Handles one message of the validate queue. */
export async function validateQueue(message: unknown, context: InvocationContext, runtime: StageRuntime): Promise<void> {
  await runQueueMessage('validate', ['detect', 'validate'] as const, message, context, runtime, (step) => (step.message.kind === 'detect' ? onDetect(step as QueueStep<'detect'>) : onValidate(step as QueueStep<'validate'>)));
}

async function onDetect({ message, image, telemetry, runtime }: QueueStep<'detect'>): Promise<void> {
  const tags = await detectAndFanOut(image, { tag: message.tag, correlationId: message.correlationId }, { ...runtime.deps, queue: runtime.queue });
  telemetry.metric('images_checked', 1);
  const changed = tags.filter((t) => t.status === 'new' || t.status === 'changed').length;
  if (changed > 0) telemetry.metric('tags_changed', changed);
  for (const t of tags.filter((t) => t.status !== 'unchanged' || t.action !== 'none')) {
    telemetry.decision({ stage: 'detect', outcome: t.status, action: t.action, imageId: image.id, tag: t.tag, digest: t.digest, previousDigest: t.previousDigest, correlationId: t.correlationId, reason: t.reason, temporary: t.temporary });
  }
  telemetry.decision({ stage: 'detect', outcome: 'checked', imageId: image.id, correlationId: message.correlationId, reason: message.reason, tags: tags.length, validating: tags.filter((t) => t.action === 'validate').length });
}

async function onValidate({ message, image, telemetry, runtime }: QueueStep<'validate'>): Promise<void> {
  const job = { image, tag: message.tag, digest: message.digest, correlationId: message.correlationId, force: message.force };
  const result = await validateAndFanOut(job, { ...runtime.deps, queue: runtime.queue });
  if (result.status === 'approved' || result.status === 'rejected') telemetry.metric(result.status, 1);
  const reason = 'reason' in result ? result.reason : undefined;
  telemetry.decision({ stage: 'validate', outcome: result.status, imageId: image.id, tag: message.tag, digest: message.digest, correlationId: message.correlationId, reason, next: result.status === 'approved' ? 'promote' : 'none' });
}
