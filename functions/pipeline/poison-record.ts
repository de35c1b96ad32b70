/**
 * What the state remembers about messages that failed (kind `poison`): nothing is dropped
 * silently (design.md). A message is known by its stage and the SHA-256 of its text, because
 * the host gives a poisoned copy a new message id but keeps its text.
 *
 * Life of a record:
 * - `failing`: a delivery threw; the host will retry it (the reason of the last try is kept);
 * - `poisoned`: it is in the poison queue, refused at once or after the host's last retry;
 *   one audit entry (stage `poison`) says so, with the reason;
 * - `replayed`: `basegate replay-poison` moved it back to its queue.
 */
import { createHash } from 'node:crypto';
import type { PipelineMessage } from './messages';
import type { AuditRecord, Clock, StateStore } from './ports';
import type { QueueStage } from './queue';
import type { TrackedImage } from './tracked-image';
import { updateRecord } from './update-record';

/** One failed message (kind `poison`, key {@link poisonKey}). */
export interface PoisonRecord {
  stage: QueueStage;
  /** SHA-256 of the message text. */
  hash: string;
  status: 'failing' | 'poisoned' | 'replayed';
  /** Why it failed: the refusal, or the error of its last delivery. */
  reason: string;
  /** `refused`: never processable, poisoned at once; `retries`: failed on every delivery the host allows. */
  cause?: 'refused' | 'retries';
  /** Deliveries that failed, as far as basegate saw them. */
  failures: number;
  /** How often it reached the poison queue. */
  poisoned: number;
  at: string;
  /** Fields of the message when it parsed. */
  kind?: PipelineMessage['kind'];
  imageId?: string;
  tag?: string;
  digest?: string;
  correlationId?: string;
  /** Host message id of the latest delivery or poison copy seen. */
  messageId?: string;
}

/** The facts of one failure. */
export interface MessageFailure {
  stage: QueueStage;
  /** Canonical message text (messages.ts `canonicalMessageText`). */
  text: string;
  reason: string;
  message?: PipelineMessage;
  messageId?: string;
}

/** SHA-256 of a message text. */
function messageHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Key of a poison record: the stage and the message's hash. */
function poisonKey(stage: QueueStage, hash: string): string {
  return `${stage}|${hash}`;
}

/** Remembers why a delivery failed; the host retries it and may poison it later. */
export async function recordFailure(state: StateStore, failure: MessageFailure, clock: Clock): Promise<PoisonRecord> {
  const hash = messageHash(failure.text);
  const record = await updateRecord<PoisonRecord>(state, 'poison', poisonKey(failure.stage, hash), (current) => ({
    ...describe(failure, hash),
    ...(current ?? { poisoned: 0 }),
    status: 'failing',
    reason: failure.reason,
    cause: 'retries',
    failures: (current?.failures ?? 0) + 1,
    at: clock.now().toISOString(),
    messageId: failure.messageId ?? current?.messageId,
  }));
  return record!;
}

/**
 * Records that a message is in the poison queue, with its reason, and audits it once per arrival.
 * Returns undefined when this arrival was already recorded (the poison reader sees it every run).
 */
export async function recordPoisoned(
  deps: { state: StateStore; clock: Clock; images: readonly TrackedImage[] },
  failure: MessageFailure & { cause: 'refused' | 'retries' },
): Promise<PoisonRecord | undefined> {
  const hash = messageHash(failure.text);
  let arrived = false;
  const record = await updateRecord<PoisonRecord>(deps.state, 'poison', poisonKey(failure.stage, hash), (current) => {
    arrived = current?.status !== 'poisoned';
    if (!arrived) return undefined;
    return {
      ...describe(failure, hash),
      failures: current?.failures ?? 0,
      poisoned: (current?.poisoned ?? 0) + 1,
      status: 'poisoned',
      // A refusal states its reason; after retries, the last delivery's error is the reason.
      reason: failure.cause === 'retries' && current?.status === 'failing' ? current.reason : failure.reason,
      cause: failure.cause,
      at: deps.clock.now().toISOString(),
      messageId: failure.messageId ?? current?.messageId,
    };
  });
  if (!arrived || !record) return undefined;
  await deps.state.appendAudit(poisonAudit(record, deps.images, 'poisoned'));
  return record;
}

/** Marks a record replayed (the message went back to its queue) and audits it. */
export async function recordReplayed(deps: { state: StateStore; clock: Clock; images: readonly TrackedImage[] }, stage: QueueStage, text: string): Promise<void> {
  const hash = messageHash(text);
  const record = await updateRecord<PoisonRecord>(deps.state, 'poison', poisonKey(stage, hash), (current) => ({
    ...(current ?? { ...describeText(stage, text, hash), reason: 'replayed without an earlier record', failures: 0, poisoned: 1 }),
    status: 'replayed',
    at: deps.clock.now().toISOString(),
  }));
  await deps.state.appendAudit(poisonAudit(record!, deps.images, 'replayed'));
}

/** The audit entry of a poison event: about the image's tag when the message names one, else about the queue. */
export function poisonAudit(record: PoisonRecord, images: readonly TrackedImage[], outcome: string): AuditRecord {
  const image = images.find((i) => i.id === record.imageId);
  const subject = image ? image.source.withTag(record.tag).toString() : `queue:${record.stage}`;
  return {
    at: record.at,
    stage: 'poison',
    subject,
    digest: record.digest,
    outcome,
    correlationId: record.correlationId,
    detail: { stage: record.stage, reason: record.reason, cause: record.cause, kind: record.kind, imageId: record.imageId, messageId: record.messageId, hash: record.hash, failures: record.failures },
  };
}

function describe(failure: MessageFailure, hash: string): Omit<PoisonRecord, 'status' | 'reason' | 'failures' | 'poisoned' | 'at'> {
  const m = failure.message;
  if (!m) return describeText(failure.stage, failure.text, hash);
  return {
    stage: failure.stage,
    hash,
    kind: m.kind,
    imageId: m.imageId,
    tag: m.tag,
    digest: m.kind === 'validate' || m.kind === 'promote' ? m.digest : m.kind === 'rebuild' ? m.event.digest : undefined,
    correlationId: m.correlationId,
  };
}

/** What can be read from a message that did not pass the schema: its id fields, when it is an object at all. */
function describeText(stage: QueueStage, text: string, hash: string): Omit<PoisonRecord, 'status' | 'reason' | 'failures' | 'poisoned' | 'at'> {
  let value: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: only the stage and hash identify it.
  }
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : undefined);
  return { stage, hash, imageId: str(value.imageId), tag: str(value.tag), correlationId: str(value.correlationId) };
}
