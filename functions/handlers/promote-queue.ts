/**
 * Queue `promote` (basegate-promote): promotes the approved, pinned digest (ARM import or OCI
 * copy) and sends one rebuild message per dependent still owed one. A redelivery finds the
 * promotion recorded, copies nothing and sends only the rebuilds not yet settled.
 */
import type { InvocationContext } from '@azure/functions';
import { promoteAndFanOut } from '../pipeline/fan-out';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { runQueueMessage } from './queue-invocation';

/** Handles one message of the promote queue. */
export async function promoteQueue(message: unknown, context: InvocationContext, runtime: StageRuntime): Promise<void> {
  await runQueueMessage('promote', ['promote'] as const, message, context, runtime, async ({ message: m, image, telemetry }) => {
    const job = { image, tag: m.tag, digest: m.digest, correlationId: m.correlationId };
    const { outcome, fresh, rebuilds } = await promoteAndFanOut(job, { ...runtime.deps, queue: runtime.queue });
    if (fresh) telemetry.metric('promoted', 1);
    telemetry.decision({
      stage: 'promote',
      outcome: fresh ? 'promoted' : 'promoted-already',
      imageId: image.id,
      tag: m.tag,
      digest: m.digest,
      correlationId: m.correlationId,
      target: image.target.withDigest(outcome.promoted.targetDigest).toString(),
      immutableTag: outcome.promoted.immutableTag,
      movedTag: outcome.movedTag,
      bytesUploaded: outcome.result.bytesUploaded,
      rebuilds,
    });
  });
}
