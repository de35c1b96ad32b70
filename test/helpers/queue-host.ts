/**
 * A test stand-in for the Functions host's queue listener (Core Tools cannot be installed here,
 * facts.md), honouring the app's own host.json, read here independently of the app's code:
 * - `extensions.queues.messageEncoding`: base64 text is decoded; text that is not valid base64
 *   goes to `<queue>-poison` unread, as the host does;
 * - the decoded text is handed to the function JSON-parsed when it parses, else as a string;
 * - `maxDequeueCount`: a message whose delivery fails on its last allowed dequeue (or arrives
 *   already past it) is copied to `<queue>-poison` and deleted; an earlier failure makes it
 *   visible again at once (host.json's visibilityTimeout is minutes: too long for a test);
 * - `batchSize`: at most that many messages are received and run at once.
 * Handlers get a real `InvocationContext` with the trigger metadata the host sets.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvocationContext, type LogLevel, type StorageQueueHandler } from '@azure/functions';
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';

const HOST_JSON = path.join(__dirname, '..', '..', 'host.json');

/** The queue settings of host.json that this host honours. */
export interface HostQueueConfig {
  messageEncoding: 'base64' | 'none';
  maxDequeueCount: number;
  batchSize: number;
}

/** Reads host.json with the host's documented defaults. */
function readHostJson(): HostQueueConfig {
  const queues = JSON.parse(fs.readFileSync(HOST_JSON, 'utf8'))?.extensions?.queues ?? {};
  return { messageEncoding: queues.messageEncoding ?? 'base64', maxDequeueCount: queues.maxDequeueCount ?? 5, batchSize: queues.batchSize ?? 16 };
}

/** One queue-triggered function the host runs. */
export interface HostedFunction {
  functionName: string;
  /** The queue it listens on (after any renaming for a shared Azurite). */
  queueName: string;
  handler: StorageQueueHandler;
}

/** What happened to one delivery. */
export interface DeliveryRecord {
  functionName: string;
  queueName: string;
  messageId: string;
  dequeueCount: number;
  outcome: 'completed' | 'failed' | 'poisoned' | 'undecodable';
  error?: string;
}

/** One log line a handler wrote. */
export interface LogLine {
  functionName: string;
  level: LogLevel;
  message: string;
}

/** Drains queues into their functions the way the Functions host would. */
export class QueueHost {
  readonly config: HostQueueConfig;
  readonly deliveries: DeliveryRecord[] = [];
  readonly logs: LogLine[] = [];

  constructor(
    private readonly service: QueueServiceClient,
    private readonly functions: HostedFunction[],
  ) {
    this.config = readHostJson();
  }

  /** A real InvocationContext whose logs land in {@link logs}. */
  context(functionName: string, triggerMetadata?: Record<string, unknown>): InvocationContext {
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      triggerMetadata,
      logHandler: (level, ...args) => this.logs.push({ functionName, level, message: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') }),
    });
  }

  /** Runs passes over every queue until all are empty (delayed messages included) or `timeoutMs` passes. */
  async drain(timeoutMs = 30_000): Promise<DeliveryRecord[]> {
    const start = this.deliveries.length;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let worked = false;
      for (const fn of this.functions) worked = (await this.pass(fn)) || worked;
      if (worked) continue;
      if (!(await this.anyWaiting()) || Date.now() > deadline) return this.deliveries.slice(start);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async pass(fn: HostedFunction): Promise<boolean> {
    const queue = this.service.getQueueClient(fn.queueName);
    await queue.createIfNotExists();
    const { receivedMessageItems: batch } = await queue.receiveMessages({ numberOfMessages: Math.min(32, this.config.batchSize), visibilityTimeout: 120 });
    await Promise.all(batch.map((m) => this.deliver(fn, queue, m)));
    return batch.length > 0;
  }

  private async deliver(fn: HostedFunction, queue: QueueClient, m: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number; insertedOn: Date; expiresOn: Date; nextVisibleOn: Date }): Promise<void> {
    const record: DeliveryRecord = { functionName: fn.functionName, queueName: fn.queueName, messageId: m.messageId, dequeueCount: m.dequeueCount, outcome: 'completed' };
    this.deliveries.push(record);
    const text = this.decode(m.messageText);
    if (text === undefined || m.dequeueCount > this.config.maxDequeueCount) {
      record.outcome = text === undefined ? 'undecodable' : 'poisoned';
      return this.poison(queue, m);
    }
    let input: unknown = text;
    try {
      input = JSON.parse(text);
    } catch {
      // The host passes text that is not JSON as a string.
    }
    const context = this.context(fn.functionName, { id: m.messageId, dequeueCount: m.dequeueCount, insertionTime: m.insertedOn.toISOString(), expirationTime: m.expiresOn.toISOString(), nextVisibleTime: m.nextVisibleOn.toISOString(), popReceipt: m.popReceipt, queueTrigger: text });
    try {
      await fn.handler(input, context);
      await queue.deleteMessage(m.messageId, m.popReceipt);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
      if (m.dequeueCount >= this.config.maxDequeueCount) {
        record.outcome = 'poisoned';
        return this.poison(queue, m);
      }
      record.outcome = 'failed';
      await queue.updateMessage(m.messageId, m.popReceipt, undefined, 0);
    }
  }

  private decode(raw: string): string | undefined {
    if (this.config.messageEncoding === 'none') return raw;
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(raw)) return undefined;
    return Buffer.from(raw, 'base64').toString('utf8');
  }

  /** Copies the message, text unchanged, to `<queue>-poison` and deletes it, as the host does. */
  private async poison(queue: QueueClient, m: { messageId: string; popReceipt: string; messageText: string }): Promise<void> {
    const poison = this.service.getQueueClient(`${queue.name}-poison`);
    await poison.createIfNotExists();
    await poison.sendMessage(m.messageText);
    await queue.deleteMessage(m.messageId, m.popReceipt);
  }

  private async anyWaiting(): Promise<boolean> {
    for (const fn of this.functions) {
      const props = await this.service.getQueueClient(fn.queueName).getProperties();
      if ((props.approximateMessagesCount ?? 0) > 0) return true;
    }
    return false;
  }
}
