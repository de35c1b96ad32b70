/**
 * Queue `rebuild` (basegate-rebuild): triggers one dependent for one promoted digest, exactly
 * once over at-least-once delivery (pipeline/rebuild.ts claims the pair in state first). A
 * dependent still to retry, or claimed by another delivery in flight, is a delay, not a failure.
 */
import type { InvocationContext } from '@azure/functions';
import { BasegateError } from '../errors';
import { MessageRefused } from '../pipeline/messages';
import { runRebuild } from '../pipeline/rebuild';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { runQueueMessage } from './queue-invocation';

/** Handles one message of the rebuild queue. */
export async function rebuildQueue(message: unknown, context: InvocationContext, runtime: StageRuntime): Promise<void> {
  await runQueueMessage('rebuild', ['rebuild'] as const, message, context, runtime, async ({ message: m, image, telemetry }) => {
    const dependent = image.dependents.find((d) => d.id === m.dependent);
    if (!dependent) throw new MessageRefused('MESSAGE_UNTRACKED', `dependent ${JSON.stringify(m.dependent)} is not configured for ${image.id}`);
    const { record, settledHere: now } = await runRebuild({ image, tag: m.tag, dependent, event: m.event, correlationId: m.correlationId }, runtime.deps);
    if (now) telemetry.metric('rebuilds', 1, { dependent: dependent.id, status: record.status });
    telemetry.decision({ stage: 'rebuild', outcome: now || record.status !== 'sent' ? record.status : 'sent-already', imageId: image.id, tag: m.tag, digest: m.event.digest, correlationId: m.correlationId, dependent: dependent.id, runId: record.runId, reason: record.lastError });
    if (record.status === 'retry' || record.status === 'sending') {
      throw new BasegateError('REBUILD_NOT_SETTLED', `rebuild of ${dependent.id} for ${m.event.target} is ${record.status === 'retry' ? `to be retried (${record.lastError})` : 'being sent by another delivery'}`, { temporary: true });
    }
  });
}
