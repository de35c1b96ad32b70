/**
 * Timer `poisonWatch`: reads the poison queues and records each message found there, with its
 * reason, in the audit and the status (pipeline/poison-watch.ts). Messages stay for
 * `basegate replay-poison`.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { watchPoison } from '../pipeline/poison-watch';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { contextTelemetry } from './telemetry';

/** Records the poisoned messages not recorded yet. */
export async function poisonTimer(_timer: Timer, context: InvocationContext, runtime: StageRuntime): Promise<void> {
  const telemetry = contextTelemetry(context);
  const report = await watchPoison({ state: runtime.deps.state, clock: runtime.deps.clock, poison: runtime.poison, images: runtime.images });
  for (const r of report.recorded) {
    telemetry.decision({ stage: 'poison', outcome: 'poisoned', queue: r.stage, imageId: r.imageId, tag: r.tag, digest: r.digest, correlationId: r.correlationId, reason: r.reason, kind: r.kind });
    telemetry.metric('poisoned', 1, { queue: r.stage, cause: 'retries' });
  }
  telemetry.decision({ stage: 'poison', outcome: 'watched', waiting: report.waiting, recorded: report.recorded.length });
}
