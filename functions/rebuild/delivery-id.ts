/**
 * The `X-Basegate-Delivery` id: the same for every (re)delivery of one promotion (target digest
 * under a tag) to one dependent, so a receiver can drop duplicates of an at-least-once delivery (issue #6, "exactly-once
 * effect"). Shaped as a UUID (version 8, RFC 9562 §5.8: custom, here SHA-256 based) because
 * receivers often store delivery ids in UUID columns, as GitHub's `X-GitHub-Delivery` is one.
 */
import { createHash } from 'node:crypto';

/** Header that carries the delivery id. */
export const DELIVERY_HEADER = 'x-basegate-delivery';

/** The stable delivery id of (promotion, dependent id); see promotionId in pipeline/records. */
export function deliveryId(promotion: string, dependentId: string): string {
  const bytes = createHash('sha256').update(`basegate-delivery\n${promotion}\n${dependentId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10xx
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
