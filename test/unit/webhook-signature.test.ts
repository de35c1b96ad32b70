/** Webhook signatures: GitHub's published test vector, and verification that refuses every near miss. */
import { createHmac } from 'node:crypto';
import { deliveryId } from '../../functions/rebuild/delivery-id';
import { sign, signV1, verifySignature } from '../../functions/rebuild/webhook-signature';

// https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = 'Hello, World!';
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('sign', () => {
  it("matches GitHub's published X-Hub-Signature-256 test vector", () => {
    expect(sign(GITHUB_PAYLOAD, GITHUB_SECRET)).toBe(GITHUB_SIGNATURE);
    expect(sign(Buffer.from(GITHUB_PAYLOAD), GITHUB_SECRET)).toBe(GITHUB_SIGNATURE);
  });

  it('signs bytes, not characters: UTF-8 bodies match an independent HMAC', () => {
    const body = Buffer.from('{"image":"café ☕"}', 'utf8');
    expect(sign(body, 's3cret')).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
  });
});

describe('signV1', () => {
  it('signs "<timestamp>.<delivery>.<body>" and sends the timestamp and delivery it signed', () => {
    const body = Buffer.from('{"image":"node"}');
    const headers = signV1(body, 's3cret', 1772366400.9, 'd-1');
    expect(headers).toEqual({
      'x-basegate-timestamp': '1772366400',
      'x-basegate-delivery': 'd-1',
      'x-basegate-signature-v1': `sha256=${createHmac('sha256', 's3cret').update('1772366400.d-1.{"image":"node"}').digest('hex')}`,
    });
    // Not the body-only signature under another name.
    expect(headers['x-basegate-signature-v1']).not.toBe(sign(body, 's3cret'));
  });
});

describe('verifySignature', () => {
  it('accepts the right signature, also in upper-case hex', () => {
    expect(verifySignature(GITHUB_PAYLOAD, GITHUB_SIGNATURE, GITHUB_SECRET)).toBe(true);
    expect(verifySignature(GITHUB_PAYLOAD, `sha256=${GITHUB_SIGNATURE.slice(7).toUpperCase()}`, GITHUB_SECRET)).toBe(true);
  });

  it.each<[string, string | Buffer, string | string[] | undefined, string]>([
    ['a wrong secret', GITHUB_PAYLOAD, GITHUB_SIGNATURE, "It's a secret to everybody"],
    ['a tampered body', 'Hello, World?', GITHUB_SIGNATURE, GITHUB_SECRET],
    ['re-encoded bytes', Buffer.from('Hello, World!\n'), GITHUB_SIGNATURE, GITHUB_SECRET],
    ['a missing header', GITHUB_PAYLOAD, undefined, GITHUB_SECRET],
    ['a repeated header', GITHUB_PAYLOAD, [GITHUB_SIGNATURE, GITHUB_SIGNATURE], GITHUB_SECRET],
    ['no algorithm prefix', GITHUB_PAYLOAD, GITHUB_SIGNATURE.slice(7), GITHUB_SECRET],
    ['another algorithm', GITHUB_PAYLOAD, `sha1=${GITHUB_SIGNATURE.slice(7)}`, GITHUB_SECRET],
    ['a truncated digest', GITHUB_PAYLOAD, GITHUB_SIGNATURE.slice(0, -2), GITHUB_SECRET],
    ['non-hex characters', GITHUB_PAYLOAD, `${GITHUB_SIGNATURE.slice(0, -1)}g`, GITHUB_SECRET],
    ['an empty secret', GITHUB_PAYLOAD, sign(GITHUB_PAYLOAD, ''), ''],
  ])('refuses %s', (_what, body, header, secret) => {
    expect(verifySignature(body, header, secret)).toBe(false);
  });
});

describe('deliveryId', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it('is a version-8 UUID, the same for the same (digest, dependent) and different otherwise', () => {
    const id = deliveryId(digest, 'orders-api');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deliveryId(digest, 'orders-api')).toBe(id);
    expect(deliveryId(digest, 'billing-api')).not.toBe(id);
    expect(deliveryId(`sha256:${'b'.repeat(64)}`, 'orders-api')).not.toBe(id);
  });
});
