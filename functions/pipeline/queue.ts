/**
 * The Queue port: how one stage hands work to the next (design.md "Queue"). The Azure adapter
 * (functions/azure/queue-sender.ts) sends to Storage queues, base64-encoded as the Functions host
 * reads them; tests drain the same queues through a host that honours host.json.
 *
 * Delivery is at least once, so every receiver is idempotent (design.md "The flow").
 */
import type { PipelineMessage } from './messages';

/** The queues stages listen on, in pipeline order; each has a poison queue beside it. */
export const QUEUE_STAGES = ['validate', 'promote', 'rebuild'] as const;

/** One of {@link QUEUE_STAGES}. */
export type QueueStage = (typeof QUEUE_STAGES)[number];

/** Which queue a message kind travels on: a detect request rides the validate queue, the entry of the pipeline. */
export const STAGE_OF_KIND: Record<PipelineMessage['kind'], QueueStage> = {
  detect: 'validate',
  validate: 'validate',
  promote: 'promote',
  rebuild: 'rebuild',
};

/** Options of {@link Queue.send}. */
export interface SendOptions {
  /** Keep the message invisible this long first: a delay after throttling, not a failure. */
  delaySeconds?: number;
}

/** Sends messages to the stage that handles their kind. */
export interface Queue {
  send(message: PipelineMessage, options?: SendOptions): Promise<void>;
}

/** One message found in a poison queue. */
export interface PoisonedMessage {
  messageId: string;
  /** The message text, decoded as the host decodes it; the raw text when it could not be decoded. */
  text: string;
  /** False when the raw text was not valid in the host's encoding (the host poisons those unread). */
  decoded: boolean;
  insertedOn?: string;
}

/** The poison queues: where messages that can never succeed end, kept for replay. */
export interface PoisonQueues {
  /** Puts a message's text into a stage's poison queue, as the host does after its last retry. */
  poison(stage: QueueStage, text: string): Promise<void>;
  /** Every message waiting in a stage's poison queue (up to `max`), left where it is. */
  list(stage: QueueStage, options?: { max?: number }): Promise<PoisonedMessage[]>;
}
