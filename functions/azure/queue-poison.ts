/**
 * The poison queues (`<queue>-poison`) over Azure Storage: the Functions host moves a message
 * there after `maxDequeueCount` failed deliveries, and basegate's handlers put refused messages
 * there at once. Messages are kept for replay: nothing here deletes one except a replay, which
 * first sends it back to its queue.
 *
 * Reading without consuming: a peek shows at most 32 messages. Beyond that, messages are
 * received with a short visibility timeout to page through them; they become visible again by
 * themselves, and their dequeue count on a poison queue means nothing (no trigger listens there).
 */
import type { QueueClient } from '@azure/storage-queue';
import type { PoisonedMessage, PoisonQueues, QueueStage } from '../pipeline/queue';
import type { QueueClients } from './queue-clients';
import { decodeQueueText, encodeQueueText, type MessageEncoding } from './queue-encoding';
import { storageError } from './storage-error';

const DEFAULTS = {
  /** The most a peek or a receive returns. */
  page: 32,
  /** Long enough to page through a thousand messages; they are made visible again right after. */
  pagingVisibilitySeconds: 30,
  /** Messages listed per call unless told. */
  max: 1000,
  /** While replaying, a message is hidden this long; a replay that dies mid-way leaves it to reappear. */
  replayVisibilitySeconds: 60,
} as const;

/** One message moved (or, in a dry run, that would be moved) back to its queue. */
export interface ReplayedMessage extends PoisonedMessage {
  stage: QueueStage;
  /** False when it was left in the poison queue (undecodable text would only be poisoned again). */
  moved: boolean;
  reason?: string;
}

/** Reads, fills and replays the poison queues. */
export class StoragePoisonQueues implements PoisonQueues {
  constructor(
    private readonly clients: QueueClients,
    private readonly encoding: MessageEncoding,
  ) {}

  async poison(stage: QueueStage, text: string): Promise<void> {
    const client = await this.clients.poison(stage);
    try {
      // No expiry: a poisoned message waits for a person, however long that takes.
      await client.sendMessage(encodeQueueText(text, this.encoding), { messageTimeToLive: -1 });
    } catch (err) {
      throw storageError(err, 'QUEUE_UNAVAILABLE', `putting a message into ${client.name}`);
    }
  }

  async list(stage: QueueStage, options: { max?: number } = {}): Promise<PoisonedMessage[]> {
    const max = options.max ?? DEFAULTS.max;
    const client = await this.clients.poison(stage);
    try {
      if (!(await client.exists())) return [];
      const peeked = (await client.peekMessages({ numberOfMessages: Math.min(DEFAULTS.page, max) })).peekedMessageItems;
      if (peeked.length < DEFAULTS.page || max <= DEFAULTS.page) return peeked.map((m) => this.found(m));
      return await this.page(client, max);
    } catch (err) {
      throw storageError(err, 'QUEUE_UNAVAILABLE', `reading ${client.name}`);
    }
  }

  /**
   * Moves the messages of a stage's poison queue back to the queue, text unchanged (the host
   * reads it as before); with `dryRun`, only lists what would move.
   */
  async replay(stage: QueueStage, options: { dryRun?: boolean; max?: number } = {}): Promise<ReplayedMessage[]> {
    const max = options.max ?? DEFAULTS.max;
    if (options.dryRun) return (await this.list(stage, { max })).map((m) => ({ ...m, stage, ...verdict(m) }));
    const [poison, target] = await Promise.all([this.clients.poison(stage), this.clients.stage(stage)]);
    if (!(await poison.exists())) return [];
    const out: ReplayedMessage[] = [];
    const seen = new Set<string>();
    const left: Array<{ messageId: string; popReceipt: string }> = [];
    while (out.length < max) {
      const batch = (await poison.receiveMessages({ numberOfMessages: Math.min(DEFAULTS.page, max - out.length), visibilityTimeout: DEFAULTS.replayVisibilitySeconds })).receivedMessageItems;
      const fresh = batch.filter((m) => !seen.has(m.messageId));
      if (fresh.length === 0) break;
      for (const m of fresh) {
        seen.add(m.messageId);
        const found = this.found(m);
        const decision = verdict(found);
        if (decision.moved) {
          await target.sendMessage(m.messageText);
          await poison.deleteMessage(m.messageId, m.popReceipt);
        } else {
          left.push(m);
        }
        out.push({ ...found, stage, ...decision });
      }
    }
    // Visible again at once: the messages left in place are not hidden from the poison watch or a later replay.
    for (const m of left) await poison.updateMessage(m.messageId, m.popReceipt, undefined, 0);
    return out;
  }

  private async page(client: QueueClient, max: number): Promise<PoisonedMessage[]> {
    const out = new Map<string, PoisonedMessage>();
    const receipts: Array<{ messageId: string; popReceipt: string }> = [];
    try {
      while (out.size < max) {
        const batch = (await client.receiveMessages({ numberOfMessages: Math.min(DEFAULTS.page, max - out.size), visibilityTimeout: DEFAULTS.pagingVisibilitySeconds })).receivedMessageItems;
        const fresh = batch.filter((m) => !out.has(m.messageId));
        if (fresh.length === 0) break;
        for (const m of fresh) {
          out.set(m.messageId, this.found(m));
          receipts.push(m);
        }
      }
    } finally {
      // Visible again at once; should this fail, they reappear when the paging timeout ends.
      for (const m of receipts) await client.updateMessage(m.messageId, m.popReceipt, undefined, 0).catch(() => undefined);
    }
    return [...out.values()];
  }

  private found(m: { messageId: string; messageText: string; insertedOn?: Date }): PoisonedMessage {
    const { text, decoded } = decodeQueueText(m.messageText, this.encoding);
    return { messageId: m.messageId, text, decoded, insertedOn: m.insertedOn?.toISOString() };
  }
}

function verdict(m: PoisonedMessage): { moved: boolean; reason?: string } {
  return m.decoded ? { moved: true } : { moved: false, reason: 'left in place: the host cannot decode its text, a replay would only poison it again' };
}
