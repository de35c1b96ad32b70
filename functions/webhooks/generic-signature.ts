/**
 * Authentication of the generic webhook: the v1 signature of rebuild/webhook-signature.ts, an
 * HMAC-SHA256 over the timestamp, the delivery id and the exact body bytes,
 *
 *   X-Basegate-Timestamp:    <unix seconds>
 *   X-Basegate-Delivery:     <id, 1-128 of [A-Za-z0-9._:-]>
 *   X-Basegate-Signature-V1: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<delivery>.<body>")>
 *
 * `X-Basegate-Signature` carrying the same v1 value is accepted too: it is what senders written
 * before the versioned header send. When both are present (another basegate, which also sends the
 * deprecated body-only `X-Basegate-Signature` for one release) only the v1 header is checked.
 */
import { DELIVERY_HEADER } from '../rebuild/delivery-id';
import { SIGNATURE_HEADER, SIGNATURE_V1_HEADER, signedBytesV1, signV1, TIMESTAMP_HEADER, verifySignature } from '../rebuild/webhook-signature';
import { unauthorized } from './request-rejected';
import { secretNotConfigured } from './webhook-secret-settings';

/** Deliveries older (or further ahead, clock skew) than this are refused: issue #7, "replays older than 5 min". */
export const MAX_DELIVERY_AGE_MS = 5 * 60 * 1000;

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Headers a sender sets (used by tests and documented for senders): the v1 scheme. */
export function signGenericDelivery(body: Buffer | string, secret: string, timestamp: number, deliveryId: string): Record<string, string> {
  return signV1(body, secret, timestamp, deliveryId);
}

/** The headers as received. */
export interface GenericDeliveryHeaders {
  /** `X-Basegate-Signature-V1`. */
  signatureV1?: string | null;
  /** `X-Basegate-Signature` (read only when there is no v1 header). */
  signature: string | null;
  timestamp: string | null;
  delivery: string | null;
}

/** Reads the signature headers of a request. */
export function genericDeliveryHeaders(get: (name: string) => string | null): GenericDeliveryHeaders {
  return { signatureV1: get(SIGNATURE_V1_HEADER), signature: get(SIGNATURE_HEADER), timestamp: get(TIMESTAMP_HEADER), delivery: get(DELIVERY_HEADER) };
}

/**
 * Checks signature and freshness against each accepted secret (the current one first, then the
 * previous one during a rotation); returns the delivery id. Every failure is a 401 saying what to send.
 */
export function verifyGenericDelivery(body: Buffer, headers: GenericDeliveryHeaders, secrets: string | readonly string[] | undefined, now: Date): string {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets ?? []).filter((s) => s !== '');
  if (keys.length === 0) throw unauthorized('WEBHOOK_SECRET_NOT_CONFIGURED', secretNotConfigured('generic'));
  const { timestamp, delivery } = headers;
  const [signatureName, signature] = headers.signatureV1 ? ['X-Basegate-Signature-V1', headers.signatureV1] : ['X-Basegate-Signature', headers.signature];
  const missing = [!signature && 'X-Basegate-Signature-V1', !timestamp && 'X-Basegate-Timestamp', !delivery && 'X-Basegate-Delivery'].filter(Boolean);
  if (missing.length > 0) throw unauthorized('WEBHOOK_SIGNATURE_MISSING', `missing ${missing.join(', ')}: expected the three headers of a signed delivery (docs/webhooks.md)`);
  if (!/^\d{1,12}$/.test(timestamp!)) throw unauthorized('WEBHOOK_TIMESTAMP_INVALID', `X-Basegate-Timestamp ${JSON.stringify(timestamp!.slice(0, 40))} is not a Unix time in seconds`);
  if (!DELIVERY_ID.test(delivery!)) throw unauthorized('WEBHOOK_DELIVERY_INVALID', 'X-Basegate-Delivery must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
  const signed = signedBytesV1(timestamp!, delivery!, body);
  if (!keys.some((key) => verifySignature(signed, signature!, key))) {
    throw unauthorized('WEBHOOK_SIGNATURE_WRONG', `${signatureName} does not match: expected sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery>.<body>" under the generic webhook secret>`);
  }
  const skew = now.getTime() - Number(timestamp) * 1000;
  if (Math.abs(skew) > MAX_DELIVERY_AGE_MS) {
    const what = skew > 0 ? `${Math.round(skew / 1000)} s old` : `${Math.round(-skew / 1000)} s in the future`;
    throw unauthorized('WEBHOOK_TIMESTAMP_STALE', `delivery ${delivery} is ${what}; at most ${MAX_DELIVERY_AGE_MS / 1000} s either way is accepted (replay protection)`);
  }
  return delivery!;
}
