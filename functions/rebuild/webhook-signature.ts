/**
 * HMAC-SHA256 signatures of webhook bodies, in the same form GitHub uses for
 * `X-Hub-Signature-256` (https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries):
 * `sha256=` + lowercase hex of HMAC-SHA256(secret, exact body bytes).
 *
 * Sign and verify the raw bytes, never a re-serialised JSON object: any re-encoding (key order,
 * whitespace, unicode escapes) changes the digest. The body carries `time`, so a receiver that
 * cares about replays can refuse stale deliveries, and `X-Basegate-Delivery` lets it dedupe.
 * Outgoing deliveries use it (webhook-trigger.ts); the Functions app's inbound webhook endpoint
 * verifies with it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header that carries the signature (Node lowercases incoming header names). */
export const SIGNATURE_HEADER = 'x-basegate-signature';
/** Prefix naming the algorithm, as GitHub's `X-Hub-Signature-256`. */
export const SIGNATURE_PREFIX = 'sha256=';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/** Signs `body` with `secret`: returns the header value `sha256=<hex>`. */
export function sign(body: Buffer | string, secret: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(body).digest('hex');
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
