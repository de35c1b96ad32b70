/**
 * The `Queue` port over Azure Storage queues: each message kind goes to its stage's queue
 * (pipeline/queue.ts STAGE_OF_KIND), as JSON text in the host's encoding (queue-encoding.ts), with
 * the W3C traceparent of the span current at send (telemetry/tracing.ts).
 */
import type { PipelineMessage } from '../pipeline/messages';
import { STAGE_OF_KIND, type Queue, type SendOptions } from '../pipeline/queue';
import type { QueueClients } from './queue-clients';
import { encodeQueueText, type MessageEncoding } from './queue-encoding';
import { storageError } from './storage-error';
import { activeTraceparent } from '../telemetry/tracing';

/** The longest delay a Storage queue accepts for a new message is 7 days; ours stay far below. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600 - 1;

/** Sends pipeline messages to Storage queues. */
export class StorageQueueSender implements Queue {
  constructor(
    private readonly clients: QueueClients,
    private readonly encoding: MessageEncoding,
  ) {}

  async send(message: PipelineMessage, options: SendOptions = {}): Promise<void> {
    const stage = STAGE_OF_KIND[message.kind];
    const client = await this.clients.stage(stage);
    const delay = options.delaySeconds === undefined ? undefined : Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(options.delaySeconds)));
    try {
      // The sending span's trace context rides along (a re-sent message keeps the one it had).
      const traceparent = message.traceparent ?? activeTraceparent();
      await client.sendMessage(encodeQueueText(JSON.stringify(traceparent ? { ...message, traceparent } : message), this.encoding), delay ? { visibilityTimeout: delay } : {});
    } catch (err) {
      throw storageError(err, 'QUEUE_UNAVAILABLE', `sending a ${message.kind} message to queue ${client.name}`);
    }
  }
}
