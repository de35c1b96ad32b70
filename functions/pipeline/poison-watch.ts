/**
 * The poison watch: reads every poison queue and records each message found there, with its
 * reason, in the audit (stage `poison`) and as a `poison` state record that status shows. The
 * messages stay where they are, for `basegate replay-poison` once the cause is fixed.
 *
 * The reason comes from the record the failing deliveries left (poison-record.ts); a message the
 * host poisoned without basegate seeing it fail (a worker crash, a timeout, text the host could
 * not decode) gets a reason saying so.
 */
import { canonicalMessageText, parseMessage, type PipelineMessage } from './messages';
import type { Clock, StateStore } from './ports';
import { recordPoisoned, type PoisonRecord } from './poison-record';
import { QUEUE_STAGES, type PoisonQueues, type QueueStage } from './queue';
import type { TrackedImage } from './tracked-image';
import { recordPoisonedMessages } from '../telemetry/metrics';

/** Messages read per poison queue and run: more wait for the next run (the count is reported). */
const MAX_PER_QUEUE = 500;

export interface PoisonWatchDeps {
  state: StateStore;
  clock: Clock;
  poison: PoisonQueues;
  images: readonly TrackedImage[];
}

/** What one run found. */
export interface PoisonWatchReport {
  /** Messages in the poison queues, by stage. */
  waiting: Record<QueueStage, number>;
  /** Messages recorded for the first time in this run. */
  recorded: PoisonRecord[];
}

/** Reads each poison queue once and records the messages not recorded yet. */
export async function watchPoison(deps: PoisonWatchDeps): Promise<PoisonWatchReport> {
  const report: PoisonWatchReport = { waiting: { validate: 0, promote: 0, rebuild: 0 }, recorded: [] };
  for (const stage of QUEUE_STAGES) {
    const messages = await deps.poison.list(stage, { max: MAX_PER_QUEUE });
    report.waiting[stage] = messages.length;
    for (const found of messages) {
      const { text, message } = decodeFound(found.text, found.decoded);
      const reason = found.decoded
        ? `failed on every delivery the host allows (maxDequeueCount) without basegate recording an error: the worker crashed or the function timed out`
        : `the host could not decode the message (host.json messageEncoding is base64): it was sent unencoded`;
      const record = await recordPoisoned(deps, { stage, text, reason, message, messageId: found.messageId, cause: 'retries' });
      if (record) report.recorded.push(record);
    }
  }
  recordPoisonedMessages(Object.values(report.waiting).reduce((a, b) => a + b, 0));
  return report;
}

/** The canonical text and, when it parses, the message: the same text the handler saw. */
function decodeFound(raw: string, decoded: boolean): { text: string; message?: PipelineMessage } {
  if (!decoded) return { text: raw };
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // The host hands non-JSON text to the handler as a string.
  }
  const text = canonicalMessageText(value);
  try {
    return { text, message: parseMessage(value) };
  } catch {
    return { text };
  }
}
