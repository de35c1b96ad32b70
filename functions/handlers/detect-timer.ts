/**
 * Timer `detect`: fans out one detect request per tracked image onto the validate queue and
 * returns. It never touches a registry itself, so however many images are tracked it ends in
 * seconds, well inside the function timeout; each image is then detected in its own invocation,
 * which sends one validate message per tag that needs work (pipeline/fan-out.ts).
 */
import { randomUUID } from 'node:crypto';
import type { InvocationContext, Timer } from '@azure/functions';
import { mapLimit } from '../map-limit';
import { newMessage } from '../pipeline/messages';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { contextTelemetry } from './telemetry';
import { inSpan, NEW_TRACE } from '../telemetry/tracing';

/** Sends in flight at once: a few hundred images go out in well under a second. */
const SEND_CONCURRENCY = 16;

/** Sends one detect message per tracked image. */
export async function detectTimer(timer: Timer, context: InvocationContext, runtime: StageRuntime): Promise<void> {
  const reason = timer.isPastDue ? 'schedule (past due)' : 'schedule';
  // The tick is a span: each detect message carries its traceparent, and each image's detect links back to it.
  const sent = await inSpan('basegate.schedule', { parent: NEW_TRACE, attributes: { 'basegate.images': runtime.images.length } }, () =>
    mapLimit(runtime.images, SEND_CONCURRENCY, async (image) => {
      const correlationId = randomUUID();
      await runtime.queue.send(newMessage('detect', { imageId: image.id, reason, correlationId }));
      return { imageId: image.id, correlationId };
    }),
  );
  contextTelemetry(context).decision({ stage: 'detect', outcome: 'scheduled', images: sent.length, reason, requests: sent });
}
