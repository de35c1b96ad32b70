/**
 * Webhook rebuild trigger against real local receivers (HTTP, and HTTPS with an openssl
 * self-signed certificate): exactly one signed POST per call, the exact RebuildEvent body, the
 * signature verified over the raw bytes, transport rules, and the status → error mapping.
 */
import { createHmac } from 'node:crypto';
import { Agent } from 'undici';
import { BasegateError, ConfigError } from '../../functions/errors';
import type { RebuildEvent } from '../../functions/pipeline/ports';
import { deliveryId } from '../../functions/rebuild/delivery-id';
import { promotionId } from '../../functions/pipeline/records';
import { RebuildTriggerError } from '../../functions/rebuild/rebuild-trigger-error';
import { isLoopbackHost } from '../../functions/rebuild/transport-security';
import { WebhookTrigger } from '../../functions/rebuild/webhook-trigger';
import { verifySignature } from '../../functions/rebuild/webhook-signature';
import { promotedEvent } from '../helpers/promoted-event';
import { expectNoSecrets, rejectionOf } from '../helpers/secret-leak';
import { freePort } from '../servers/free-port';
import { makeSelfSignedCert, type SelfSignedCert } from '../servers/self-signed-cert';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const SECRET = 'whsec-7Qm2-do-not-leak';
const HEADER_TOKEN = 'hdr-token-9Zx4-do-not-leak';

const event = promotedEvent('a1', { previousHex: 'b2' });

let receiver: WebhookReceiver;
let tlsReceiver: WebhookReceiver;
let cert: SelfSignedCert;

beforeAll(async () => {
  cert = makeSelfSignedCert();
  [receiver, tlsReceiver] = await Promise.all([startWebhookReceiver(), startWebhookReceiver({ tls: cert })]);
});
afterEach(() => {
  receiver.assertDone();
  tlsReceiver.assertDone();
});
afterAll(async () => {
  await Promise.all([receiver?.close(), tlsReceiver?.close()]);
});

describe('webhook delivery', () => {
  it('sends exactly one POST with exactly the RebuildEvent fields, signed over the raw bytes', async () => {
    const trigger = new WebhookTrigger({
      id: 'orders-api',
      url: `${receiver.url}/hooks/base?team=web`,
      secret: SECRET,
      headers: { 'X-Team': 'web', Authorization: `Bearer ${HEADER_TOKEN}` },
    });
    receiver.expectDelivery({ secret: SECRET });

    const outcome = await trigger.trigger(event);

    expect(outcome.status).toBe('triggered');
    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery.request.path).toBe('/hooks/base');
    expect(delivery.request.query.get('team')).toBe('web');
    expect(delivery.signatureValid).toBe(true);
    expect(Object.keys(delivery.json as object).sort()).toEqual(Object.keys(event).sort());
    expect(delivery.json).toEqual(event);

    const { body, headers } = delivery.request;
    expect(verifySignature(body, headers['x-basegate-signature'], SECRET)).toBe(true);
    expect(verifySignature(body, headers['x-basegate-signature'], `${SECRET}x`)).toBe(false);
    expect(verifySignature(Buffer.from(body.toString().replace('20-alpine', '22-alpine')), headers['x-basegate-signature'], SECRET)).toBe(false);
    // v1: the same key over "<timestamp>.<delivery>.<body>", checked with node:crypto independently of basegate.
    const ts = String(headers['x-basegate-timestamp']);
    expect(ts).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(120);
    const v1 = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${ts}.${headers['x-basegate-delivery']}.`), body])).digest('hex');
    expect(headers['x-basegate-signature-v1']).toBe(`sha256=${v1}`);

    expect(headers['x-team']).toBe('web');
    expect(headers.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    expect(headers['user-agent']).toBe('basegate');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-basegate-event']).toBe('base-image-promoted');
    expect(headers['x-basegate-delivery']).toBe(deliveryId(promotionId(event), 'orders-api'));
    expect(outcome.detail).toContain(deliveryId(promotionId(event), 'orders-api'));
  });

  it('keeps the delivery id stable per (promotion, dependent) across redeliveries', async () => {
    const orders = new WebhookTrigger({ id: 'orders-api', url: `${receiver.url}/hooks` });
    const billing = new WebhookTrigger({ id: 'billing-api', url: `${receiver.url}/hooks` });
    for (let i = 0; i < 5; i++) receiver.expectDelivery();
    const other = `sha256:${'c3'.repeat(32)}`;

    await orders.trigger(event);
    await orders.trigger({ ...event, time: '2026-03-01T12:05:00.000Z' }); // a redelivery, later
    await billing.trigger(event);
    await orders.trigger({ ...event, digest: other, target: event.target.replace(/@.*/, `@${other}`) });
    await orders.trigger({ ...event, tag: 'another-tag' }); // same digest under another moving tag: a promotion of its own

    const ids = receiver.deliveries.map((d) => d.request.headers['x-basegate-delivery']);
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(4);
  });

  it('sends no signature without a secret, and omits an unknown previousDigest', async () => {
    const trigger = new WebhookTrigger({ id: 'plain', url: `${receiver.url}/hooks` });
    receiver.expectDelivery(); // the receiver fails the test if a signature header arrives
    const { previousDigest: _omitted, ...firstPromotion } = event;

    await trigger.trigger(firstPromotion);

    expect(receiver.deliveries[0].request.headers['x-basegate-signature']).toBeUndefined();
    expect(receiver.deliveries[0].request.headers['x-basegate-signature-v1']).toBeUndefined();
    expect(receiver.deliveries[0].request.headers['x-basegate-timestamp']).toBeUndefined();
    expect(Object.keys(receiver.deliveries[0].json as object)).not.toContain('previousDigest');
    expect(receiver.deliveries[0].json).toEqual(firstPromotion);
  });

  it('lets a custom User-Agent through but refuses headers basegate sets itself', () => {
    for (const name of ['X-Basegate-Signature', 'x-basegate-signature', 'X-Basegate-Signature-V1', 'X-Basegate-Timestamp', 'X-BASEGATE-DELIVERY', 'Content-Type', 'Host']) {
      const err = (() => {
        try {
          new WebhookTrigger({ id: 'h', url: `${receiver.url}/hooks`, secret: SECRET, headers: { [name]: 'sha256=forged' } });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('REBUILD_HEADER_RESERVED');
    }
    expect(() => new WebhookTrigger({ id: 'h', url: `${receiver.url}/hooks`, headers: { 'User-Agent': 'ci-hook/1' } })).not.toThrow();
    expect(() => new WebhookTrigger({ id: 'h', url: `${receiver.url}/hooks`, headers: { 'X-A': 'one\r\nX-B: two' } })).toThrow(ConfigError);
    expect(() => new WebhookTrigger({ id: 'h', url: `${receiver.url}/hooks`, secret: '' })).toThrow(/secret is empty/);
  });
});

describe('webhook over HTTPS', () => {
  it('delivers to a receiver whose self-signed certificate is trusted through the ca option', async () => {
    const trigger = new WebhookTrigger({ id: 'tls', url: `${tlsReceiver.url}/hooks`, secret: SECRET, http: { ca: cert.cert } });
    tlsReceiver.expectDelivery({ secret: SECRET });
    try {
      await trigger.trigger(event);
    } finally {
      await trigger.close();
    }
    expect(tlsReceiver.deliveries).toHaveLength(1);
    expect(tlsReceiver.deliveries[0].signatureValid).toBe(true);
  });

  it('delivers through a caller-owned dispatcher', async () => {
    const agent = new Agent({ connect: { ca: cert.cert } });
    const trigger = new WebhookTrigger({ id: 'tls', url: `${tlsReceiver.url}/hooks`, http: { dispatcher: agent } });
    tlsReceiver.expectDelivery();
    try {
      await trigger.trigger(event);
    } finally {
      await agent.close();
    }
    expect(tlsReceiver.deliveries).toHaveLength(1);
  });

  it('refuses an untrusted certificate as a permanent TLS error, without sending the body', async () => {
    const trigger = new WebhookTrigger({ id: 'tls', url: `${tlsReceiver.url}/hooks`, secret: SECRET });
    const err = await rejectionOf(trigger.trigger(event));
    expect(err).toBeInstanceOf(RebuildTriggerError);
    expect((err as RebuildTriggerError).code).toBe('REBUILD_TLS');
    expect((err as RebuildTriggerError).temporary).toBe(false);
    expect(tlsReceiver.requests).toHaveLength(0);
    expectNoSecrets(err, [SECRET]);
  });

  it('refuses a dispatcher and a ca together', () => {
    expect(() => new WebhookTrigger({ id: 'x', url: `${tlsReceiver.url}/hooks`, http: { ca: cert.cert, dispatcher: new Agent() } })).toThrow(/either a dispatcher or a ca/);
  });
});

describe('webhook transport rules', () => {
  it.each([
    ['http://ci.example.com/hooks', undefined, 'REBUILD_INSECURE_URL'],
    ['http://10.1.2.3:8080/hooks', undefined, 'REBUILD_INSECURE_URL'],
    ['http://127.0.0.1.nip.io/hooks', undefined, 'REBUILD_INSECURE_URL'],
    ['ftp://ci.example.com/hooks', undefined, 'REBUILD_CONFIG_INVALID'],
    ['https://user:pw@ci.example.com/hooks', undefined, 'REBUILD_CONFIG_INVALID'],
    ['not a url', undefined, 'REBUILD_CONFIG_INVALID'],
  ])('refuses %s at construction, before any request', (url, insecure, code) => {
    let err: unknown;
    try {
      new WebhookTrigger({ id: 'x', url, insecure, secret: SECRET });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(code);
    expectNoSecrets(err, [SECRET, 'pw']);
  });

  it.each([
    ['https://ci.example.com/hooks', undefined],
    ['http://ci.internal/hooks', true],
    ['http://127.0.0.1:9/hooks', undefined],
    ['http://[::1]:9/hooks', undefined],
    ['http://localhost:9/hooks', undefined],
  ])('accepts %s (insecure: %s)', (url, insecure) => {
    expect(new WebhookTrigger({ id: 'x', url, insecure }).id).toBe('x');
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['[::1]', true],
    ['api.localhost', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
    ['::2', false],
  ])('isLoopbackHost(%s) is %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('webhook failures', () => {
  const echo = { message: 'receiver says no', echo: SECRET, auth: `Bearer ${HEADER_TOKEN}` };

  it.each([
    [500, 'REBUILD_UNAVAILABLE', true],
    [502, 'REBUILD_UNAVAILABLE', true],
    [408, 'REBUILD_UNAVAILABLE', true],
    [429, 'REBUILD_THROTTLED', true],
    [400, 'REBUILD_REJECTED', false],
    [404, 'REBUILD_REJECTED', false],
    [410, 'REBUILD_REJECTED', false],
    [401, 'REBUILD_UNAUTHORIZED', false],
    [403, 'REBUILD_UNAUTHORIZED', false],
    [307, 'REBUILD_REJECTED', false],
  ])('maps %i to %s (temporary: %s) after exactly one request, without leaking secrets', async (status, code, temporary) => {
    const trigger = new WebhookTrigger({ id: 'fail', url: `${receiver.url}/hooks?sig=querysecret`, secret: SECRET, headers: { Authorization: `Bearer ${HEADER_TOKEN}` } });
    receiver.expectDelivery({ secret: SECRET, reply: { status, body: echo, headers: status === 307 ? { location: 'https://elsewhere.example/' } : {} } });

    const err = await rejectionOf(trigger.trigger(event));

    expect(err).toBeInstanceOf(RebuildTriggerError);
    const e = err as RebuildTriggerError;
    expect([e.code, e.temporary, e.status, e.kind]).toEqual([code, temporary, status, 'webhook']);
    expect(e.message).toContain(String(status));
    expect(e.message).toContain('receiver says no');
    expect(e.url).not.toContain('querysecret');
    expect(receiver.requests).toHaveLength(1);
    expectNoSecrets(err, [SECRET, HEADER_TOKEN, 'querysecret']);
  });

  it('passes Retry-After on as retryAfter', async () => {
    const trigger = new WebhookTrigger({ id: 'slow', url: `${receiver.url}/hooks` });
    receiver.expectDelivery({ reply: { status: 429, headers: { 'retry-after': '7' } } });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect(err.code).toBe('REBUILD_THROTTLED');
    expect(err.retryAfter).toBe(7);
  });

  it('times out a receiver that does not answer, as a temporary error', async () => {
    const trigger = new WebhookTrigger({ id: 'stuck', url: `${receiver.url}/hooks`, secret: SECRET, http: { timeoutMs: 200 } });
    receiver.expectDelivery({ secret: SECRET, reply: { status: 200, delayMs: 5_000 } });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect([err.code, err.temporary]).toEqual(['REBUILD_TIMEOUT', true]);
    expectNoSecrets(err, [SECRET]);
  });

  it("stops when the caller's signal aborts, as a temporary error", async () => {
    const trigger = new WebhookTrigger({ id: 'stuck', url: `${receiver.url}/hooks` });
    receiver.expectDelivery({ reply: { status: 200, delayMs: 5_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = (await rejectionOf(trigger.trigger(event, { signal: controller.signal }))) as RebuildTriggerError;
    expect([err.code, err.temporary]).toEqual(['REBUILD_ABORTED', true]);
  });

  it('reports a refused connection as a temporary network error', async () => {
    const port = await freePort();
    const trigger = new WebhookTrigger({ id: 'down', url: `http://127.0.0.1:${port}/hooks`, secret: SECRET });
    const err = await rejectionOf(trigger.trigger(event));
    expect(err).toBeInstanceOf(BasegateError);
    expect([(err as RebuildTriggerError).code, (err as RebuildTriggerError).temporary]).toEqual(['REBUILD_NETWORK', true]);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expectNoSecrets(err, [SECRET]);
  });
});
