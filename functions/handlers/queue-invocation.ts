/**
 * What every queue handler does around its one pipeline step: check the message, find its
 * image, run the step, and decide what a failure means (style.md 8: decide once whose fault it is).
 *
 * - Refused (malformed, unknown version, wrong queue, untracked image, tag or dependent): it can
 *   never succeed, so retrying it `maxDequeueCount` times would only delay the record. The
 *   handler records the reason (audit stage `poison`, a `poison` state record), puts the message
 *   into the poison queue itself and returns, so the host deletes the original: no crash loop.
 * - Temporary (throttling, an outage: `temporary` errors): a delay, not a failure. The message is
 *   sent again with a growing visibility delay (Retry-After when the registry gave one) and
 *   `attempt` counted, up to {@link MAX_DELAYED_ATTEMPTS}; after that it is treated as failing.
 * - Anything else: the reason is recorded against the message and the error rethrown; the host
 *   retries it (host.json visibilityTimeout) and moves it to poison after `maxDequeueCount`
 *   deliveries, where the poison watch finds the recorded reason.
 */
import type { InvocationContext } from '@azure/functions';
import { describeError, isTemporary, RegistryError } from '../errors';
import { tracksTag } from '../pipeline/fan-out';
import { canonicalMessageText, isRefusal, MessageRefused, parseMessage, type MessageKind, type MessageOf, type PipelineMessage } from '../pipeline/messages';
import { recordFailure, recordPoisoned } from '../pipeline/poison-record';
import type { QueueStage } from '../pipeline/queue';
import type { StageRuntime } from '../pipeline/stage-runtime';
import type { TrackedImage } from '../pipeline/tracked-image';
import { contextTelemetry, type Telemetry } from './telemetry';
import { withTelemetry } from './telemetry-scope';
import { withMessageContext } from '../telemetry/tracing';

/** Delayed re-sends of one message before a temporary condition counts as a failure: 1+2+4+8+16+32 min, about an hour. */
const MAX_DELAYED_ATTEMPTS = 6;
const FIRST_DELAY_SECONDS = 60;
const MAX_DELAY_SECONDS = 3600;

/** What a step receives. */
export interface QueueStep<K extends MessageKind> {
  message: MessageOf<K>;
  image: TrackedImage;
  telemetry: Telemetry;
  runtime: StageRuntime;
  context: InvocationContext;
}

/** Runs one delivery of a `stage` queue message through `step` (see the module header for failures). */
export async function runQueueMessage<K extends MessageKind>(
  stage: QueueStage,
  kinds: readonly K[],
  input: unknown,
  context: InvocationContext,
  runtime: StageRuntime,
  step: (s: QueueStep<K>) => Promise<void>,
): Promise<void> {
  const telemetry = contextTelemetry(context);
  const text = canonicalMessageText(input);
  const messageId = typeof context.triggerMetadata?.id === 'string' ? context.triggerMetadata.id : undefined;
  let message: PipelineMessage | undefined;
  try {
    const parsed = parseMessage(input);
    message = parsed;
    if (!(kinds as readonly string[]).includes(parsed.kind)) throw new MessageRefused('MESSAGE_INVALID', `a ${parsed.kind} message does not belong on the ${stage} queue (it takes ${kinds.join(', ')})`);
    const image = runtime.images.find((i) => i.id === parsed.imageId);
    if (!image) throw new MessageRefused('MESSAGE_UNTRACKED', `image ${JSON.stringify(parsed.imageId)} is not tracked by the loaded basegate.yaml; nothing is fetched for it`);
    if (parsed.tag !== undefined && !tracksTag(image, parsed.tag)) throw new MessageRefused('MESSAGE_UNTRACKED', `tag ${JSON.stringify(parsed.tag)} of ${image.source} is not tracked by basegate.yaml; nothing is fetched for it`);
    // The stage's spans join the trace the sender's traceparent names (telemetry/tracing.ts).
    await withMessageContext(parsed.traceparent, () => withTelemetry(telemetry, () => step({ message: parsed as MessageOf<K>, image, telemetry, runtime, context })));
  } catch (err) {
    const reason = describeError(err);
    const base = { stage, imageId: message?.imageId, tag: message?.tag, correlationId: message?.correlationId, reason, messageId, dequeueCount: context.triggerMetadata?.dequeueCount };
    if (isRefusal(err)) {
      await runtime.poison.poison(stage, text);
      await recordPoisoned({ state: runtime.deps.state, clock: runtime.deps.clock, images: runtime.images }, { stage, text, reason, message, messageId, cause: 'refused' });
      telemetry.decision({ ...base, stage: stageOf(message, stage), outcome: 'refused', queue: stage });
      telemetry.metric('poisoned', 1, { queue: stage, cause: 'refused' });
      return;
    }
    const attempt = message?.attempt ?? 0;
    if (message && isTemporary(err) && attempt < MAX_DELAYED_ATTEMPTS) {
      const delaySeconds = delayFor(attempt, err);
      await runtime.queue.send({ ...message, attempt: attempt + 1 }, { delaySeconds });
      telemetry.decision({ ...base, stage: stageOf(message, stage), outcome: 'delayed', attempt: attempt + 1, delaySeconds });
      telemetry.metric('delayed', 1, { queue: stage });
      return;
    }
    await recordFailure(runtime.deps.state, { stage, text, reason, message, messageId }, runtime.deps.clock).catch((e: unknown) => {
      context.error('basegate.decision', JSON.stringify({ stage, outcome: 'unrecorded', reason: `could not record the failure: ${describeError(e)}` }));
    });
    telemetry.decision({ ...base, stage: stageOf(message, stage), outcome: 'failed' });
    throw err;
  }
}

/** Seconds to wait before the next attempt: what the registry asked for, else 1, 2, 4... minutes, at most an hour. */
function delayFor(attempt: number, err: unknown): number {
  const asked = err instanceof RegistryError && err.retryAfter !== undefined ? err.retryAfter : 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(asked, FIRST_DELAY_SECONDS * 2 ** attempt));
}

function stageOf(message: PipelineMessage | undefined, queue: QueueStage): 'detect' | QueueStage {
  return message?.kind ?? queue;
}
