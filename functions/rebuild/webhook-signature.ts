/**
 * HMAC-SHA256 signatures of basegate's webhooks, in two versions (docs/webhooks.md, "Signatures"):
 *
 * - **v1** (current): `X-Basegate-Signature-V1: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<delivery>.<body>")>`
 *   beside `X-Basegate-Timestamp: <unix seconds>` and `X-Basegate-Delivery: <id>`. The timestamp and the
 *   delivery id are inside the signed bytes (as Stripe signs `t.payload`): were they only headers, a
 *   replayer would rewrite them and walk past a receiver's freshness window and delivery ledger.
 *   basegate's own generic endpoint verifies exactly this (functions/webhooks/generic-signature.ts),
 *   so one basegate can notify another.
 * - **legacy** (deprecated, still sent for one release): `X-Basegate-Signature: sha256=<hex HMAC(secret, body)>`,
 *   GitHub's `X-Hub-Signature-256` form (https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries).
 *   It covers the body only, so a captured delivery can be replayed for ever. Receivers move to v1.
 *
 * Sign and verify the raw bytes, never a re-serialised JSON object: any re-encoding (key order,
 * whitespace, unicode escapes) changes the digest.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DELIVERY_HEADER } from './delivery-id';

/** Header of the legacy body-only signature (Node lowercases incoming header names). @deprecated verify {@link SIGNATURE_V1_HEADER}. */
export const SIGNATURE_HEADER = 'x-basegate-signature';
/** Header of the v1 signature over `<timestamp>.<delivery>.<body>`. */
export const SIGNATURE_V1_HEADER = 'x-basegate-signature-v1';
/** Unix seconds at signing, inside the v1 signed bytes. */
export const TIMESTAMP_HEADER = 'x-basegate-timestamp';
/** Prefix naming the algorithm, as GitHub's `X-Hub-Signature-256`. */
export const SIGNATURE_PREFIX = 'sha256=';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/** Signs `body` with `secret`: returns the header value `sha256=<hex>`. */
export function sign(body: Buffer | string, secret: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(body).digest('hex');
}

/** The bytes a v1 signature covers: `<timestamp>.<delivery>.<body>`. */
export function signedBytesV1(timestamp: string, deliveryId: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${deliveryId}.`, 'utf8'), Buffer.from(body)]);
}

/** The three v1 headers for a delivery signed at `unixSeconds`. */
export function signV1(body: Buffer | string, secret: string, unixSeconds: number, deliveryId: string): Record<string, string> {
  const timestamp = String(Math.floor(unixSeconds));
  return { [TIMESTAMP_HEADER]: timestamp, [DELIVERY_HEADER]: deliveryId, [SIGNATURE_V1_HEADER]: sign(signedBytesV1(timestamp, deliveryId, body), secret) };
}

/**
 * True when `header` is a valid signature of the exact `body` bytes under `secret`.
 * Compares in constant time; a missing, malformed or differently-prefixed header is false.
 */
export function verifySignature(body: Buffer | string, header: string | string[] | undefined, secret: string): boolean {
  // A repeated header is ambiguous: refuse it rather than pick one.
  if (typeof header !== 'string' || !secret) return false;
  const match = SIGNATURE_PATTERN.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
