/**
 * The messages the stages hand each other over queues: versioned JSON, checked by one schema
 * at the receiving end (design.md "The flow"; in the Functions app, Storage queues).
 *
 * Rules:
 * - Every message has `v` (this app reads version 1 only) and a `kind`. A message of another
 *   version, or one that does not match its kind's schema, is refused with the reason: it can
 *   never succeed, so it goes straight to poison instead of being retried.
 * - Every stage works on a pinned digest: validate and promote carry the digest detect saw;
 *   rebuild carries the whole event its dependent is told, so redeliveries send the same bytes.
 * - `correlationId` follows one request (a timer tick, a webhook, a manual check) and the digest
 *   it found across every stage, in logs and in the audit.
 * - Unknown fields are dropped, not refused (a tolerant reader): v1 may grow optional fields.
 *   `traceparent` (issue #19) is one: the W3C trace context of the sending span.
 *
 * Kinds and where they travel (the Azure adapter maps kinds to queues):
 * `detect` (one image, or one of its tags) and `validate` on the validate queue, `promote` on the
 * promote queue, `rebuild` (one dependent) on the rebuild queue.
 */
import { z } from 'zod';
import { BasegateError } from '../errors';
import type { RebuildEvent } from './ports';

/** The message version this app writes and reads. */
export const MESSAGE_VERSION = 1;

/** Storage queue messages hold 64 KiB; ours stay far below, and a larger one is not ours. */
export const MAX_MESSAGE_BYTES = 48 * 1024;

/** OCI digest grammar (image-spec descriptor.md#digests). */
const digest = z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'expected a digest such as sha256:<64 hex>');
/** Distribution tag grammar. */
const tag = z.string().regex(/^[\w][\w.-]{0,127}$/, 'expected an image tag');
const id = z.string().min(1).max(512);

const common = {
  v: z.literal(MESSAGE_VERSION),
  imageId: id,
  correlationId: z.string().min(1).max(300),
  /** Delivery attempts already spent waiting for a temporary condition (throttling, outage). */
  attempt: z.number().int().min(0).max(100).optional(),
  /**
   * The W3C trace context of the span that sent it (https://www.w3.org/TR/trace-context/#traceparent-header),
   * so one digest's stages are one trace across invocations (telemetry/tracing.ts). Optional; one
   * that is not valid is dropped, never a reason to refuse the message.
   */
  traceparent: z.string().max(256).regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/).optional().catch(undefined),
};

/** A diff brief (diff.ts briefDiff): small by construction, bounded here too. */
const diffBrief = z.object({
  from: digest.optional(),
  to: digest,
  platformsAdded: z.array(z.string().max(100)).max(8),
  platformsRemoved: z.array(z.string().max(100)).max(8),
  sizeDelta: z.number(),
  layersAdded: z.number().int(),
  labels: z.array(z.object({ field: z.string().max(100), from: z.string().max(80).optional(), to: z.string().max(80).optional() })).max(3),
  vulnerabilitiesAdded: z.record(z.string().max(20), z.number().int()).optional(),
});

const rebuildEvent = z.object({
  event: z.literal('base-image-promoted'),
  image: z.string().min(1),
  tag,
  digest,
  previousDigest: digest.optional(),
  target: z.string().min(1),
  immutableTag: tag,
  time: z.string().min(1),
  diff: diffBrief.optional(),
}) satisfies z.ZodType<RebuildEvent>;

const messageSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('detect'), tag: tag.optional(), reason: z.string().min(1).max(500) }),
  z.object({ ...common, kind: z.literal('validate'), tag, digest, force: z.boolean().optional() }),
  z.object({ ...common, kind: z.literal('promote'), tag, digest }),
  z.object({ ...common, kind: z.literal('rebuild'), tag, dependent: id, event: rebuildEvent }),
]);

/** One message between stages. */
export type PipelineMessage = z.infer<typeof messageSchema>;
/** The kinds of {@link PipelineMessage}. */
export type MessageKind = PipelineMessage['kind'];
/** The message of one kind. */
export type MessageOf<K extends MessageKind> = Extract<PipelineMessage, { kind: K }>;

/** A message that can never be processed: wrong shape, unknown version, or about nothing we track. Never temporary. */
export class MessageRefused extends BasegateError {
  constructor(code: 'MESSAGE_INVALID' | 'MESSAGE_VERSION_UNSUPPORTED' | 'MESSAGE_UNTRACKED', message: string) {
    super(code, message);
  }
}

/** True for errors that mean "poison this message now, with this reason". */
export function isRefusal(err: unknown): err is MessageRefused {
  return err instanceof MessageRefused;
}

/** Checks a received message (already JSON-parsed by the host, or a string) and returns it typed; throws {@link MessageRefused}. */
export function parseMessage(input: unknown): PipelineMessage {
  let value = input;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const text = value.toString();
    if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) throw new MessageRefused('MESSAGE_INVALID', `message of ${Buffer.byteLength(text)} bytes is larger than the ${MAX_MESSAGE_BYTES} a basegate message can be`);
    try {
      value = JSON.parse(text);
    } catch {
      throw new MessageRefused('MESSAGE_INVALID', `expected a JSON object, found text that is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MessageRefused('MESSAGE_INVALID', `expected a JSON object with v and kind, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const version = (value as { v?: unknown }).v;
  if (version !== MESSAGE_VERSION) {
    throw new MessageRefused(
      'MESSAGE_VERSION_UNSUPPORTED',
      version === undefined ? `expected a message version (v: ${MESSAGE_VERSION}), found none` : `message version ${JSON.stringify(version)} is not supported: this app reads v${MESSAGE_VERSION}`,
    );
  }
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    throw new MessageRefused('MESSAGE_INVALID', `expected a v${MESSAGE_VERSION} basegate message, found: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Builds a message of one kind, version stamped; the receiver's schema is the one that checks it. */
export function newMessage<K extends MessageKind>(kind: K, fields: Omit<MessageOf<K>, 'v' | 'kind'>): MessageOf<K> {
  return { v: MESSAGE_VERSION, kind, ...fields } as MessageOf<K>;
}

/**
 * The text a message is known by in poison records: what the host hands a handler (parsed JSON,
 * or the string when it is not JSON) turned back into text the same way on both sides.
 */
export function canonicalMessageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  return JSON.stringify(value) ?? String(value);
}
