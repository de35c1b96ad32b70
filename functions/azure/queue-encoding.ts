/**
 * How message text is stored in a Storage queue, as the Functions host reads it
 * (host.json `extensions.queues.messageEncoding`, default `base64`). A message the host cannot
 * decode is moved to the poison queue unread (facts.md), so the sender, the poison reader and
 * `basegate replay-poison` all go through these two functions.
 */

/** The host's `messageEncoding` values. */
export type MessageEncoding = 'base64' | 'none';

/** What the host does unless host.json says otherwise. */
export const DEFAULT_MESSAGE_ENCODING: MessageEncoding = 'base64';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The stored form of a message's text. */
export function encodeQueueText(text: string, encoding: MessageEncoding): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}

/** The text the host hands the function, or the raw text with `decoded: false` when the host could not decode it. */
export function decodeQueueText(raw: string, encoding: MessageEncoding): { text: string; decoded: boolean } {
  if (encoding === 'none') return { text: raw, decoded: true };
  if (!BASE64.test(raw)) return { text: raw, decoded: false };
  return { text: Buffer.from(raw, 'base64').toString('utf8'), decoded: true };
}
