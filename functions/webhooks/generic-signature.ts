/**
 * Authentication of the generic webhook: an HMAC-SHA256 over the timestamp, the delivery id and
 * the exact body bytes,
 *
 *   X-Basegate-Timestamp: <unix seconds>
 *   X-Basegate-Delivery:  <id, 1-128 of [A-Za-z0-9._:-]>
 *   X-Basegate-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<delivery>.<body>")>
 *
 * The timestamp and delivery id are inside the signed bytes (as Stripe signs `t.payload`): were
 * they only headers, a replayer would rewrite them and walk past both the 5-minute window and the
 * delivery ledger. The signature format is webhook-signature.ts's (GitHub's `X-Hub-Signature-256`).
 */
import { DELIVERY_HEADER } from '../rebuild/delivery-id';
import { sign, SIGNATURE_HEADER, verifySignature } from '../rebuild/webhook-signature';
import { unauthorized } from './request-rejected';
import { secretNotConfigured } from './webhook-secret-settings';

export { DELIVERY_HEADER, SIGNATURE_HEADER };
export const TIMESTAMP_HEADER = 'x-basegate-timestamp';
/** Deliveries older (or further ahead, clock skew) than this are refused: issue #7, "replays older than 5 min". */
export const MAX_DELIVERY_AGE_MS = 5 * 60 * 1000;

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The signed bytes: `<timestamp>.<delivery>.<body>`. */
function signedBytes(timestamp: string, deliveryId: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${deliveryId}.`, 'utf8'), body]);
}

/** Headers a sender sets (used by tests and documented for senders). */
export function signGenericDelivery(body: Buffer | string, secret: string, timestamp: number, deliveryId: string): Record<string, string> {
  const ts = String(Math.floor(timestamp));
  return { [TIMESTAMP_HEADER]: ts, [DELIVERY_HEADER]: deliveryId, [SIGNATURE_HEADER]: sign(signedBytes(ts, deliveryId, Buffer.from(body)), secret) };
}

/** The three headers as received. */
export interface GenericDeliveryHeaders {
  signature: string | null;
  timestamp: string | null;
  delivery: string | null;
}

/** Checks signature and freshness; returns the delivery id. Every failure is a 401 saying what to send. */
export function verifyGenericDelivery(body: Buffer, headers: GenericDeliveryHeaders, secret: string | undefined, now: Date): string {
  if (!secret) {
    throw unauthorized('WEBHOOK_SECRET_NOT_CONFIGURED', secretNotConfigured('generic'));
  }
  const { signature, timestamp, delivery } = headers;
  const missing = [!signature && 'X-Basegate-Signature', !timestamp && 'X-Basegate-Timestamp', !delivery && 'X-Basegate-Delivery'].filter(Boolean);
  if (missing.length > 0) throw unauthorized('WEBHOOK_SIGNATURE_MISSING', `missing ${missing.join(', ')}: expected the three headers of a signed delivery (docs/webhooks.md)`);
  if (!/^\d{1,12}$/.test(timestamp!)) throw unauthorized('WEBHOOK_TIMESTAMP_INVALID', `X-Basegate-Timestamp ${JSON.stringify(timestamp!.slice(0, 40))} is not a Unix time in seconds`);
  if (!DELIVERY_ID.test(delivery!)) throw unauthorized('WEBHOOK_DELIVERY_INVALID', 'X-Basegate-Delivery must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
  if (!verifySignature(signedBytes(timestamp!, delivery!, body), signature!, secret)) {
    throw unauthorized('WEBHOOK_SIGNATURE_WRONG', `X-Basegate-Signature does not match: expected sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery>.<body>" under the webhook secret>`);
  }
  const skew = now.getTime() - Number(timestamp) * 1000;
  if (Math.abs(skew) > MAX_DELIVERY_AGE_MS) {
    const what = skew > 0 ? `${Math.round(skew / 1000)} s old` : `${Math.round(-skew / 1000)} s in the future`;
    throw unauthorized('WEBHOOK_TIMESTAMP_STALE', `delivery ${delivery} is ${what}; at most ${MAX_DELIVERY_AGE_MS / 1000} s either way is accepted (replay protection)`);
  }
  return delivery!;
}
