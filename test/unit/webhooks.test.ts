/**
 * The SDK-free webhook logic (functions/webhooks/) and the route registration: bounded reads that
 * stop pulling at the limit, matching pushes to tracked images, the generic signature's edges, the
 * CloudEvents handshake's refusals, and every route registered with its authLevel in both API modes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { parseConfig } from '../../functions/config/load-config';
import { trackedImages } from '../../functions/config/tracked-images';
import { registerHttpRoutes, type HttpRuntime } from '../../functions/handlers/http/register-http-routes';
import { FileStateStore } from '../../functions/state/file-state-store';
import { webhookValidationHeaders } from '../../functions/webhooks/abuse-protection';
import { MAX_WEBHOOK_BODY, readBoundedBody } from '../../functions/webhooks/bounded-body';
import { parseGenericPush } from '../../functions/webhooks/generic-payload';
import { senderRegistries } from '../../functions/webhooks/sender-registries';
import { signGenericDelivery, verifyGenericDelivery } from '../../functions/webhooks/generic-signature';
import { matchPushes } from '../../functions/webhooks/match-tracked';
import type { PushEvent } from '../../functions/webhooks/push-event';
import { RequestRejected } from '../../functions/webhooks/request-rejected';
import { checkSharedSecret } from '../../functions/webhooks/shared-secret';
import { recordingApp } from '../helpers/recording-app';

const images = trackedImages(
  parseConfig(
    `
target: { registry: "base.azurecr.io" }
images:
  - source: node
    repository: base/node
    tags: ["20-alpine", "22-alpine"]
  - source: ghcr.io/acme/tool
    tagPolicy: { allow: ["^v1\\\\."], latest: 3 }
`,
    { file: '/srv/basegate.yaml', env: {} },
  ),
);
const [NODE, TOOL] = images.map((i) => i.id);

function rejection(fn: () => unknown): { status: number; code: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof RequestRejected)) throw err;
    return { status: err.status, code: err.code, message: err.message };
  }
}

describe('readBoundedBody', () => {
  it('stops pulling a body that streams past the limit and cancels the rest', async () => {
    let pulled = 0;
    let cancelled = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled++;
          yield new Uint8Array(64 * 1024);
        }
      } finally {
        cancelled = true;
      }
    }
    await expect(readBoundedBody(endless(), null, MAX_WEBHOOK_BODY)).rejects.toMatchObject({ status: 400, code: 'BODY_TOO_LARGE' });
    expect(pulled).toBe(5); // 4 × 64 KiB fit in 256 KiB; the fifth crosses it
    expect(cancelled).toBe(true);
  });

  it('refuses a declared length over the limit without reading a byte, and reads one at the limit', async () => {
    let read = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      read = true;
      yield new Uint8Array(1);
    }
    await expect(readBoundedBody(body(), String(MAX_WEBHOOK_BODY + 1), MAX_WEBHOOK_BODY)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(read).toBe(false);
    const exact = new HttpRequest({ method: 'POST', url: 'http://x/api', body: { bytes: new Uint8Array(MAX_WEBHOOK_BODY) } });
    expect((await readBoundedBody(exact.body, null, MAX_WEBHOOK_BODY)).length).toBe(MAX_WEBHOOK_BODY);
  });
});

describe('matchPushes', () => {
  const push = (registry: string, repository: string, tag?: string, extra: Partial<PushEvent> = {}): PushEvent => ({ sender: 'generic', registry, repository, tag, ...extra });

  it.each([
    ['docker.io, one component', push('docker.io', 'node', '20-alpine'), [[NODE, '20-alpine']]],
    ['index.docker.io alias', push('index.docker.io', 'library/node', '20-alpine'), [[NODE, '20-alpine']]],
    ['registry-1.docker.io alias, upper-case host', push('Registry-1.Docker.IO', 'library/node', '22-alpine'), [[NODE, '22-alpine']]],
    ['a policy tag that passes the filters asks for the whole image', push('ghcr.io', 'acme/tool', 'v1.4.0'), [[TOOL, undefined]]],
    ['no tag, whole image asked', push('docker.io', 'node', undefined, { wholeImage: true }), [[NODE, undefined]]],
  ])('%s', (_name, event, expected) => {
    expect(matchPushes(images, [event]).checks.map((c) => [c.imageId, c.tag])).toEqual(expected);
  });

  it.each([
    ['the target repository (basegate’s own promotion)', push('base.azurecr.io', 'base/node', '20-alpine'), /^untracked/],
    ['the same repository on another host', push('mirror.example', 'library/node', '20-alpine'), /^untracked/],
    ['an untracked tag', push('docker.io', 'node', '18'), /tag 18 is not tracked/],
    ['a tag the policy filters out', push('ghcr.io', 'acme/tool', 'v2.0.0'), /does not pass the tag policy/],
    ['a push by digest only', push('docker.io', 'node', undefined, { sender: 'acr' }), /digest only/],
    ['path traversal in the repository', push('docker.io', '../etc', '1'), /not a valid image reference/],
    ['a host with credentials', push('user:pw@evil.example', 'x', '1'), /not a valid image reference/],
  ])('ignores %s', (_name, event, reason) => {
    const { checks, ignored } = matchPushes(images, [event]);
    expect(checks).toEqual([]);
    expect(ignored[0].reason).toMatch(reason);
  });

  it('plans one detect per (image, tag), and a whole-image request absorbs the tag requests', () => {
    const tags = matchPushes(images, [push('docker.io', 'node', '20-alpine'), push('index.docker.io', 'library/node', '20-alpine')]);
    expect(tags.checks.map((c) => c.tag)).toEqual(['20-alpine']);
    const whole = matchPushes(images, [push('docker.io', 'node', '20-alpine'), push('docker.io', 'node', undefined, { wholeImage: true }), push('docker.io', 'node', '22-alpine')]);
    expect(whole.checks.map((c) => c.tag)).toEqual([undefined]);
  });
});

describe('parseGenericPush', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it("reads another basegate's promotion event as pushes of its upstream and of its promoted copy", () => {
    const event = { event: 'base-image-promoted', image: 'docker.io/library/node:20-alpine', tag: '20-alpine', digest, target: `contosobase.azurecr.io/base/node@${digest}`, immutableTag: 'x', time: 't' };
    expect(parseGenericPush(event).pushes).toEqual([
      { sender: 'generic', registry: 'docker.io', repository: 'library/node', tag: '20-alpine', digest, wholeImage: false },
      { sender: 'generic', registry: 'contosobase.azurecr.io', repository: 'base/node', tag: '20-alpine', digest },
    ]);
  });

  it('reads `target` only from a promotion event, and refuses a target that is not a registry reference', () => {
    expect(parseGenericPush({ image: 'node:20-alpine', target: 'contosobase.azurecr.io/base/node:20-alpine' }).pushes).toHaveLength(1);
    expect(rejection(() => parseGenericPush({ event: 'base-image-promoted', image: 'node', tag: 'x', target: 'user:pw@evil.example/x' }))).toMatchObject({ status: 400, message: expect.stringMatching(/^target: /) });
  });
});

describe('verifyGenericDelivery', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const body = Buffer.from('{"image":"node"}');
  const signed = (at: number, id = 'd-1') => {
    const h = signGenericDelivery(body, 'k', at, id);
    return { signatureV1: h['x-basegate-signature-v1'], signature: null, timestamp: h['x-basegate-timestamp'], delivery: h['x-basegate-delivery'] };
  };

  it('accepts a fresh signature and returns the delivery id', () => {
    expect(verifyGenericDelivery(body, signed(now.getTime() / 1000 - 299), 'k', now)).toBe('d-1');
  });

  it('accepts the v1 value under the unversioned header, and checks only the v1 header when both arrive', () => {
    const h = signed(now.getTime() / 1000);
    expect(verifyGenericDelivery(body, { ...h, signatureV1: null, signature: h.signatureV1 }, 'k', now)).toBe('d-1');
    // Another basegate also sends the deprecated body-only signature: it is not what is checked.
    expect(verifyGenericDelivery(body, { ...h, signature: 'sha256=' + '0'.repeat(64) }, 'k', now)).toBe('d-1');
    expect(rejection(() => verifyGenericDelivery(body, { ...h, signatureV1: 'sha256=' + '0'.repeat(64), signature: h.signatureV1 }, 'k', now))).toMatchObject({ code: 'WEBHOOK_SIGNATURE_WRONG' });
  });

  it('accepts either secret during a rotation, and neither once both are wrong', () => {
    const h = signed(now.getTime() / 1000);
    expect(verifyGenericDelivery(body, h, ['new', 'k'], now)).toBe('d-1');
    expect(rejection(() => verifyGenericDelivery(body, h, ['new', 'older'], now))).toMatchObject({ code: 'WEBHOOK_SIGNATURE_WRONG' });
  });

  it.each([
    ['from six minutes ahead', () => signed(now.getTime() / 1000 + 360), /in the future/],
    ['with the delivery id rewritten after signing', () => ({ ...signed(now.getTime() / 1000), delivery: 'd-2' }), /does not match/],
    ['with the timestamp rewritten after signing', () => ({ ...signed(now.getTime() / 1000 - 600), timestamp: String(now.getTime() / 1000) }), /does not match/],
    ['with a timestamp in milliseconds', () => ({ ...signed(0), timestamp: '1772366400000000' }), /not a Unix time in seconds/],
    ['with a delivery id carrying a newline', () => ({ ...signed(0), delivery: 'a\nb' }), /X-Basegate-Delivery must be/],
  ])('refuses a delivery %s (401)', (_name, headers, message) => {
    expect(rejection(() => verifyGenericDelivery(body, headers(), 'k', now))).toMatchObject({ status: 401, message: expect.stringMatching(message) });
  });
});

describe('small refusals', () => {
  it('the CloudEvents handshake echoes only a DNS name', () => {
    expect(webhookValidationHeaders('eventgrid.azure.net', null)).toEqual({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net', Allow: 'POST, OPTIONS' });
    expect(rejection(() => webhookValidationHeaders('evil.example/<script>', null))).toMatchObject({ status: 400, code: 'WEBHOOK_ORIGIN_INVALID' });
  });

  it('a shared secret compares whole values, whatever their lengths', () => {
    expect(rejection(() => checkSharedSecret('acr', 's3cret', 's3cret', 'h'))).toBeUndefined();
    expect(rejection(() => checkSharedSecret('acr', 's3cre', 's3cret', 'h'))).toMatchObject({ code: 'WEBHOOK_SECRET_WRONG' });
    expect(rejection(() => checkSharedSecret('acr', 's3cretX', 's3cret', 'h'))).toMatchObject({ code: 'WEBHOOK_SECRET_WRONG' });
    // During a rotation the previous value passes too, and nothing else.
    expect(rejection(() => checkSharedSecret('acr', 'old', ['new', 'old'], 'h'))).toBeUndefined();
    expect(rejection(() => checkSharedSecret('acr', 'older', ['new', 'old'], 'h'))).toMatchObject({ code: 'WEBHOOK_SECRET_WRONG' });
    expect(rejection(() => checkSharedSecret('acr', 'x', [], 'h'))).toMatchObject({ code: 'WEBHOOK_SECRET_NOT_CONFIGURED' });
  });
});

describe('registerHttpRoutes', () => {
  const { app, http: registered } = recordingApp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-routes-'));
  let state: FileStateStore | undefined;
  let fail = true;
  const runtime = async (): Promise<HttpRuntime> => {
    if (fail) throw new Error('basegate.yaml: images[0].source: expected a reference');
    state ??= await FileStateStore.open(path.join(dir, 'state.json'));
    return { images, state, webhookSecret: async () => undefined, webhooks: { coalesceWindowMs: 60_000, registries: {} }, senderRegistries: senderRegistries(images, { coalesceWindowMs: 60_000, registries: {} }), clock: { now: () => new Date(0) }, requestCheck: async () => undefined };
  };
  registerHttpRoutes(app, runtime, { auth: { mode: 'off' } });
  afterAll(async () => {
    await state?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Issue #15: each route's authorization level, pinned in both modes. Webhooks always take a
  // function key (senders cannot present Entra tokens); with Entra ID on, the API takes a token
  // and no key; without it, approvals are anonymous only to answer 503 AUTH_NOT_CONFIGURED.
  it.each([
    ['without Entra ID', { mode: 'off' } as const, ['function', 'function', 'function', 'function', 'function', 'anonymous', 'function']],
    ['with Entra ID', { mode: 'entra', clientId: '00000000-0000-0000-0000-0000000000aa' } as const, ['function', 'function', 'function', 'function', 'anonymous', 'anonymous', 'anonymous']],
  ])('pins every route and its authLevel %s', (_mode, auth, levels) => {
    const recorder = recordingApp();
    registerHttpRoutes(recorder.app, runtime, { auth });
    expect([...recorder.http].map(([name, o]) => [name, o.route, o.methods, o.authLevel])).toEqual([
      ['webhookDockerHub', 'webhooks/dockerhub', ['POST'], levels[0]],
      ['webhookAcr', 'webhooks/acr', ['POST'], levels[1]],
      ['webhookEventGrid', 'webhooks/eventgrid', ['POST', 'OPTIONS'], levels[2]],
      ['webhookGeneric', 'webhooks/generic', ['POST'], levels[3]],
      ['checkImage', 'images/{image}/check', ['POST'], levels[4]],
      ['approvalDecision', 'approvals/{id}', ['POST'], levels[5]],
      ['status', 'status', ['GET'], levels[6]],
    ]);
  });

  it('answers 503 naming the problem while the runtime cannot be built, then serves', async () => {
    const handler = registered.get('status')!.handler;
    const req = () => new HttpRequest({ method: 'GET', url: 'http://x/api/status' });
    const ctx = new InvocationContext({ logHandler: () => undefined });
    expect(await handler(req(), ctx)).toMatchObject({ status: 503, jsonBody: { code: 'RUNTIME_UNAVAILABLE', error: expect.stringContaining('images[0].source') } });
    fail = false;
    expect(await handler(req(), ctx)).toMatchObject({ status: 200, jsonBody: { images: [{ id: NODE }, { id: TOOL }] } });
  });
});
