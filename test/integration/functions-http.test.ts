/**
 * The HTTP side of the Functions app (issues #7 and #9): every handler is invoked as the host
 * invokes it, with a real HttpRequest and InvocationContext from @azure/functions, over a real
 * StateStore (a state file in a temp dir; the state-bearing flows also on Table Storage in
 * Azurite). `requestCheck` only records: it is the queue the composition root owns.
 * The payloads are the senders' documented shapes (test/fixtures/webhooks/README.md). A loopback
 * server stands in for a registry nobody configured, and must receive nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { TableStateStore } from '../../functions/azure/table-state-store';
import { parseConfig } from '../../functions/config/load-config';
import { trackedImages } from '../../functions/config/tracked-images';
import { BasegateError } from '../../functions/errors';
import { acrWebhook } from '../../functions/handlers/http/acr-webhook';
import { approvalDecision } from '../../functions/handlers/http/approval-decision';
import { checkImage } from '../../functions/handlers/http/check-image';
import { dockerHubWebhook } from '../../functions/handlers/http/dockerhub-webhook';
import { eventGridWebhook } from '../../functions/handlers/http/event-grid-webhook';
import { genericWebhook } from '../../functions/handlers/http/generic-webhook';
import type { Caller } from '../../functions/handlers/http/api-auth';
import type { HttpRuntime, RuntimeHandler } from '../../functions/handlers/http/register-http-routes';
import { status } from '../../functions/handlers/http/status';
import type { PoisonRecord } from '../../functions/pipeline/poison-record';
import type { StateStore } from '../../functions/pipeline/ports';
import { digestKey, tagKey, type Approval, type TagState, type Verdict } from '../../functions/pipeline/records';
import { FileStateStore } from '../../functions/state/file-state-store';
import { ledgerKey } from '../../functions/webhooks/delivery-ledger';
import { signGenericDelivery } from '../../functions/webhooks/generic-signature';
import { senderRegistries } from '../../functions/webhooks/sender-registries';
import type { SecretSender } from '../../functions/webhooks/webhook-secret-settings';
import { startScriptedServer, type ScriptedServer } from '../servers/scripted-http-server';
import { testEnv } from '../servers/test-env';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'webhooks');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const CONFIG = `
target: { registry: "127.0.0.1:1" }
images:
  - source: docker.io/svendowideit/testhook
    tags: [latest]
  - source: myregistry.azurecr.io/hello-world
    tags: [v1]
  - source: demo.azurecr.io/aci-helloworld
    tags: [v1, v2]
    gates: { approval: manual }
  - source: node
    tagPolicy: { allow: ["^20-"], latest: 2 }
`;
const config = parseConfig(CONFIG, { file: '/srv/basegate/basegate.yaml', env: {} });
const images = trackedImages(config);
const [TESTHOOK, HELLO, ACI, NODE] = images.map((i) => i.id);
const SECRETS = { dockerhub: 'dh-s3cret-planted', acr: 'acr-s3cret-planted', generic: 'gen-s3cret-planted' };
const D1 = `sha256:${'d1'.repeat(32)}`;

type Check = Parameters<HttpRuntime['requestCheck']>[0];

interface Harness {
  runtime: HttpRuntime;
  checks: Check[];
  logs: string[];
  state: StateStore;
  setNow(iso: string): void;
  failNextCheck(err: Error): void;
}

async function harness(state: StateStore, secrets: Partial<Record<SecretSender, string>> = SECRETS): Promise<Harness> {
  const checks: Check[] = [];
  let now = new Date('2026-03-01T12:00:00Z');
  let failure: Error | undefined;
  const runtime: HttpRuntime = {
    images,
    state,
    webhookSecret: async (sender) => (secrets[sender] ? [secrets[sender]!] : undefined),
    webhooks: config.webhooks,
    senderRegistries: senderRegistries(images, config.webhooks),
    clock: { now: () => now },
    async requestCheck(request) {
      if (failure) {
        const err = failure;
        failure = undefined;
        throw err;
      }
      checks.push(request);
    },
  };
  return { runtime, checks, logs, state, setNow: (iso) => void (now = new Date(iso)), failNextCheck: (err) => void (failure = err) };
}

const logs: string[] = [];
function context(name: string): InvocationContext {
  return new InvocationContext({ invocationId: `test-${name}`, functionName: name, logHandler: (level, ...args) => void logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`) });
}

function request(method: string, route: string, init: { body?: string | Buffer; headers?: Record<string, string>; params?: Record<string, string> } = {}): HttpRequest {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? { string: init.body } : { bytes: init.body };
  return new HttpRequest({ method, url: `https://basegate-func.azurewebsites.net/api/${route}`, headers: { 'content-type': 'application/json', ...init.headers }, body, params: init.params });
}

interface Answer {
  status: number;
  body: Record<string, any>;
  headers: Record<string, string>;
}

async function call(handler: RuntimeHandler, req: HttpRequest, h: Harness, caller?: Caller): Promise<Answer> {
  const res: HttpResponseInit = await handler(req, context(handler.name), h.runtime, caller);
  const answer = { status: res.status ?? 200, body: res.jsonBody as Record<string, any>, headers: (res.headers ?? {}) as Record<string, string> };
  expect(answer.headers['content-type']).toBe('application/json');
  if (answer.status >= 400) expect(typeof answer.body.error).toBe('string');
  return answer;
}

const hub = (query = `?secret=${SECRETS.dockerhub}`, body = fixture('dockerhub-push.json'), headers: Record<string, string> = {}) => request('POST', `webhooks/dockerhub${query}`, { body, headers });
const acr = (body: string | Buffer = fixture('acr-push.json'), auth = `Bearer ${SECRETS.acr}`) => request('POST', 'webhooks/acr', { body, headers: { authorization: auth } });
const eventGrid = (body: string) => request('POST', 'webhooks/eventgrid', { body });
function generic(body: string, h: Harness, delivery: string, options: { secret?: string; at?: number; tamper?: string } = {}): HttpRequest {
  const at = options.at ?? h.runtime.clock.now().getTime() / 1000;
  const headers = signGenericDelivery(body, options.secret ?? SECRETS.generic, at, delivery);
  return request('POST', 'webhooks/generic', { body: options.tamper ?? body, headers });
}

let dir: string;
let fileState: FileStateStore;
let h: Harness;
let untracked: ScriptedServer;

beforeAll(async () => {
  untracked = await startScriptedServer({ name: 'unconfigured registry (loopback stand-in)' });
});
afterAll(() => untracked.close());

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-http-'));
  fileState = await FileStateStore.open(path.join(dir, 'state.json'));
  h = await harness(fileState);
  logs.length = 0;
});

afterEach(async () => {
  // Issue #9: a planted secret never reaches a log line.
  expect(logs.filter((l) => l.includes('s3cret'))).toEqual([]);
  await fileState.close();
  fs.rmSync(dir, { recursive: true, force: true });
  // Nothing may ever reach a host basegate was not configured for; give stray async work a moment.
  await new Promise((r) => setTimeout(r, 50));
  untracked.assertDone();
});

describe('each sender, its documented payload → one detect of the tracked image', () => {
  it('Docker Hub push (secret in ?secret=) → testhook:latest', async () => {
    const res = await call(dockerHubWebhook, hub(), h);
    expect(res.status).toBe(202);
    expect(h.checks).toEqual([{ imageId: TESTHOOK, tag: 'latest', reason: 'webhook:dockerhub', correlationId: res.body.accepted[0].correlationId }]);
    expect(res.body.accepted[0]).toMatchObject({ imageId: TESTHOOK, tag: 'latest', reference: 'docker.io/svendowideit/testhook:latest' });
  });

  it('Docker Hub push with the secret in X-Basegate-Secret; an official image by its short name matches docker.io/library', async () => {
    const body = JSON.stringify({ push_data: { tag: '20-alpine' }, repository: { repo_name: 'node' }, callback_url: `${untracked.url}/callback` });
    const res = await call(dockerHubWebhook, hub('', body, { 'x-basegate-secret': SECRETS.dockerhub }), h);
    expect(res.status).toBe(202);
    // A tag policy image: only the whole upstream list decides latest-N, so detect gets the image.
    expect(h.checks.map((c) => [c.imageId, c.tag])).toEqual([[NODE, undefined]]);
  });

  it('ACR push (Authorization: Bearer) → hello-world:v1', async () => {
    const res = await call(acrWebhook, acr(), h);
    expect(res.status).toBe(202);
    expect(h.checks.map((c) => [c.imageId, c.tag, c.reason])).toEqual([[HELLO, 'v1', 'webhook:acr']]);
  });

  it('ACR events other than push are acknowledged and ignored', async () => {
    const res = await call(acrWebhook, acr(JSON.stringify({ id: 'x', action: 'delete', target: { repository: 'hello-world', digest: D1 }, request: { host: 'myregistry.azurecr.io' } })), h);
    expect(res.status).toBe(202);
    expect(res.body.ignored).toEqual([{ event: 'acr delete', reason: 'only push events trigger a detect' }]);
    expect(h.checks).toEqual([]);
  });

  it.each([
    ['Event Grid schema', fixture('eventgrid-image-pushed.json')],
    ['CloudEvents 1.0, one event', fixture('cloudevents-image-pushed.json')],
    ['CloudEvents 1.0, a batch', `[${fixture('cloudevents-image-pushed.json')}]`],
  ])('Event Grid ImagePushed in the %s → aci-helloworld:v1', async (_schema, body) => {
    const res = await call(eventGridWebhook, eventGrid(body), h);
    expect(res.status).toBe(202);
    expect(h.checks.map((c) => [c.imageId, c.tag, c.reason])).toEqual([[ACI, 'v1', 'webhook:eventgrid']]);
  });

  it('generic signed delivery, Docker Hub host aliases resolved', async () => {
    for (const [i, image] of ['index.docker.io/library/node:20-alpine', 'registry-1.docker.io/node:20-alpine', 'demo.azurecr.io/aci-helloworld:v2'].entries()) {
      const res = await call(genericWebhook, generic(JSON.stringify({ image }), h, `delivery-${i}`), h);
      expect(res.status).toBe(202);
    }
    expect(h.checks.map((c) => [c.imageId, c.tag, c.reason])).toEqual([
      [NODE, undefined, 'webhook:generic'],
      [NODE, undefined, 'webhook:generic'],
      [ACI, 'v2', 'webhook:generic'],
    ]);
  });
});

describe('Event Grid subscription handshakes', () => {
  it('Event Grid schema: the validation event is answered with its code, and validationUrl is never fetched', async () => {
    const doc = JSON.parse(fixture('eventgrid-subscription-validation.json'));
    doc[0].data.validationUrl = `${untracked.url}/validate?id=1`;
    const res = await call(eventGridWebhook, eventGrid(JSON.stringify(doc)), h);
    expect(res).toMatchObject({ status: 200, body: { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' } });
    expect(h.checks).toEqual([]);
  });

  it('CloudEvents: OPTIONS with WebHook-Request-Origin is allowed back; without it, 400', async () => {
    const ok = await call(eventGridWebhook, request('OPTIONS', 'webhooks/eventgrid', { headers: { 'webhook-request-origin': 'eventgrid.azure.net', 'webhook-request-rate': '120' } }), h);
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net', 'WebHook-Allowed-Rate': '*' });
    const bad = await call(eventGridWebhook, request('OPTIONS', 'webhooks/eventgrid'), h);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/WebHook-Request-Origin/);
  });
});

describe('secrets and signatures → 401', () => {
  it.each([
    ['Docker Hub, wrong secret', () => call(dockerHubWebhook, hub('?secret=guess'), h), /does not match the configured secret \(BASEGATE_DOCKERHUB_WEBHOOK_SECRET_URI\)/],
    ['Docker Hub, no secret', () => call(dockerHubWebhook, hub(''), h), /expected the secret query parameter/],
    ['ACR, wrong bearer', () => call(acrWebhook, acr(undefined, 'Bearer nope'), h), /does not match the configured secret/],
    ['ACR, basic auth instead of bearer', () => call(acrWebhook, acr(undefined, `Basic ${SECRETS.acr}`), h), /missing acr webhook secret/],
    ['generic, signed with another secret', () => call(genericWebhook, generic('{"image":"node:20-alpine"}', h, 'd1', { secret: 'other' }), h), /X-Basegate-Signature-V1 does not match/],
    ['generic, body changed after signing', () => call(genericWebhook, generic('{"image":"node:20-alpine"}', h, 'd2', { tamper: '{"image":"node:20-bookworm"}' }), h), /does not match/],
    ['generic, no signature headers', () => call(genericWebhook, request('POST', 'webhooks/generic', { body: '{"image":"node"}' }), h), /missing X-Basegate-Signature-V1, X-Basegate-Timestamp, X-Basegate-Delivery/],
    ['generic, six minutes old', () => call(genericWebhook, generic('{"image":"node:20-alpine"}', h, 'd3', { at: h.runtime.clock.now().getTime() / 1000 - 360 }), h), /360 s old; at most 300 s/],
  ])('%s', async (_name, send, message) => {
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(message);
    expect(h.checks).toEqual([]);
  });

  it.each([
    ['dockerhub', dockerHubWebhook, () => hub()],
    ['acr', acrWebhook, () => acr()],
    ['generic', genericWebhook, () => generic('{"image":"node"}', h, 'd4')],
  ])('a %s secret that is not configured refuses every delivery and names the setting', async (sender, handler, make) => {
    const bare = await harness(fileState, {});
    const res = await call(handler, make(), bare);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'WEBHOOK_SECRET_NOT_CONFIGURED', error: expect.stringContaining(`set the app setting BASEGATE_${sender.toUpperCase()}_WEBHOOK_SECRET_URI to the Key Vault URI`) });
    expect(bare.checks).toEqual([]);
  });
});

describe('hostile bodies → 400 with the reason', () => {
  const big = JSON.stringify({ push_data: { tag: 'latest' }, repository: { repo_name: 'svendowideit/testhook' }, pad: 'x'.repeat(300 * 1024) });

  it.each([
    ['declared Content-Length', { 'content-length': String(Buffer.byteLength(big)) }],
    ['no length, streamed', {}],
  ])('over 256 KiB (%s) → 400 BODY_TOO_LARGE', async (_how, headers) => {
    const res = await call(dockerHubWebhook, hub(undefined, big, headers), h);
    expect(res).toMatchObject({ status: 400, body: { code: 'BODY_TOO_LARGE', error: expect.stringContaining('at most 262144 bytes (256 KiB)') } });
    const ev = await call(eventGridWebhook, eventGrid(`[${big}]`), h);
    expect(ev.body.code).toBe('BODY_TOO_LARGE');
    expect(h.checks).toEqual([]);
  });

  it.each([
    ['truncated JSON', 'BODY_MALFORMED_JSON', acrWebhook, () => acr('{"action": "push", "target": {'), /not valid JSON .*expected an ACR webhook event/],
    ['not UTF-8', 'BODY_NOT_UTF8', acrWebhook, () => acr(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
    ['empty body', 'BODY_EMPTY', eventGridWebhook, () => eventGrid(''), /empty; expected Event Grid events/],
    ['tag missing', 'PAYLOAD_INVALID', dockerHubWebhook, () => hub(undefined, '{"push_data": {}, "repository": {"repo_name": "a/b"}}'), /push_data\.tag/],
    ['push without request.host', 'PAYLOAD_INVALID', acrWebhook, () => acr('{"action": "push", "target": {"repository": "hello-world", "tag": "v1"}}'), /request/],
    ['deeply nested JSON', 'PAYLOAD_INVALID', eventGridWebhook, () => eventGrid('['.repeat(100_000) + ']'.repeat(100_000)), /Event Grid event/],
    ['generic image with credentials', 'PAYLOAD_INVALID', genericWebhook, () => generic('{"image":"user:pw@evil.example/x:1"}', h, 'd5'), /credentials|not a host/],
  ])('%s → 400 %s', async (_name, code, handler, make, message) => {
    const res = await call(handler, make(), h);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code, error: expect.stringMatching(message) });
    expect(h.checks).toEqual([]);
  });
});

describe('untracked images and unconfigured hosts: 202, logged, never contacted', () => {
  it.each([
    ['Docker Hub push of an untracked repository, callback_url at the stand-in', dockerHubWebhook, () => hub(undefined, JSON.stringify({ push_data: { tag: 'latest' }, repository: { repo_name: 'evil/thing' }, callback_url: `${untracked.url}/cb` }))],
    ['Event Grid push of an untracked repository', eventGridWebhook, () => eventGrid(fixture('eventgrid-image-pushed.json').replace('"aci-helloworld"', '"other"'))],
    ['generic request for the stand-in host', genericWebhook, () => generic(JSON.stringify({ image: `${untracked.url.replace('http://', '')}/library/node:20-alpine` }), h, 'd6')],
  ])('%s', async (_name, handler, make) => {
    const res = await call(handler, make(), h);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toEqual([]);
    expect(res.body.ignored[0].reason).toMatch(/^untracked: .* is not the source of any tracked image; nothing is fetched$/);
    expect(h.checks).toEqual([]);
    expect(logs.some((l) => l.includes('webhook: event ignored') && l.includes('untracked'))).toBe(true);
  });

  it('an ACR push naming a host that is no ACR registry basegate tracks is ignored before matching (issue #15)', async () => {
    for (const host of [untracked.url.replace('http://', ''), 'docker.io']) {
      const res = await call(acrWebhook, acr(fixture('acr-push.json').replace('myregistry.azurecr.io', host).replace('"hello-world"', '"library/node"')), h);
      expect(res).toMatchObject({ status: 202, body: { accepted: [] } });
      expect(res.body.ignored[0].reason).toBe(`acr deliveries may not report on ${host}: only myregistry.azurecr.io, demo.azurecr.io (webhooks.acr.registries); nothing is fetched`);
    }
    expect(h.checks).toEqual([]);
  });

  it('a tracked image with a tag it does not track, and a push by digest only, are ignored', async () => {
    const other = await call(acrWebhook, acr(fixture('acr-push.json').replace('"v1"', '"v9"')), h);
    expect(other.body.ignored[0].reason).toMatch(/tag v9 is not tracked/);
    const byDigest = JSON.parse(fixture('acr-push.json'));
    delete byDigest.target.tag;
    const digestOnly = await call(acrWebhook, acr(JSON.stringify(byDigest)), h);
    expect(digestOnly.body.ignored[0].reason).toMatch(/pushed by digest only/);
    expect(h.checks).toEqual([]);
  });
});

describe.each([
  ['file state', async () => ({ state: undefined as StateStore | undefined, close: async () => undefined })],
  [
    'Table Storage (Azurite)',
    async () => {
      const suffix = `http${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      const state = new TableStateStore({ connectionString: testEnv().azurite.connectionString, stateTable: `st${suffix}`, auditTable: `au${suffix}` });
      return { state: state as StateStore | undefined, close: () => state.close() };
    },
  ],
])('state round trips on %s', (_backend, open) => {
  let close: () => Promise<void>;
  beforeEach(async () => {
    const opened = await open();
    close = opened.close;
    if (opened.state) h = await harness(opened.state);
  });
  afterEach(() => close());

  it('a replayed generic delivery is refused with 409 and enqueues nothing twice', async () => {
    const body = JSON.stringify({ image: 'demo.azurecr.io/aci-helloworld', tag: 'v1' });
    const first = generic(body, h, 'ci-run-42');
    const replay = generic(body, h, 'ci-run-42');
    expect((await call(genericWebhook, first, h)).status).toBe(202);
    const res = await call(genericWebhook, replay, h);
    expect(res).toMatchObject({ status: 409, body: { code: 'WEBHOOK_REPLAYED', error: expect.stringMatching(/ci-run-42 was already received at 2026-03-01T12:00:00.000Z/) } });
    expect(h.checks).toHaveLength(1);
  });

  it('a delivery whose enqueue failed is released: the retry goes through; old deliveries are pruned', async () => {
    h.failNextCheck(new BasegateError('QUEUE_UNAVAILABLE', 'queue basegate-detect answered 503', { temporary: true }));
    const body = JSON.stringify({ image: 'node:20-alpine' });
    const failed = await call(genericWebhook, generic(body, h, 'retry-1'), h);
    expect(failed).toMatchObject({ status: 503, body: { code: 'QUEUE_UNAVAILABLE', error: expect.stringMatching(/retry later/) } });
    expect((await call(genericWebhook, generic(body, h, 'retry-1'), h)).status).toBe(202);
    // Kept in its 10-minute bucket and the next (delivery-ledger.ts), pruned once both have passed.
    const bucket = Math.floor(Date.parse('2026-03-01T12:00:00Z') / 600_000);
    expect(await h.state.get('delivery', ledgerKey(bucket, 'generic', 'retry-1'))).toBeDefined();
    expect(await h.state.get('delivery', ledgerKey(bucket + 1, 'generic', 'retry-1'))).toBeDefined();
    h.setNow('2026-03-01T12:31:00Z');
    expect((await call(genericWebhook, generic(body, h, 'retry-2'), h)).status).toBe(202);
    expect(await h.state.get('delivery', ledgerKey(bucket, 'generic', 'retry-1'))).toBeUndefined();
    expect(await h.state.get('delivery', ledgerKey(bucket + 1, 'generic', 'retry-1'))).toBeUndefined();
    expect(await h.state.get('delivery', ledgerKey(bucket + 3, 'generic', 'retry-2'))).toBeDefined();
    expect(h.checks).toHaveLength(2);
  });

  it('approvals: held digest → status lists it → decision recorded, audited, re-checked → status shows it', async () => {
    const held: Verdict = { imageId: ACI, digest: D1, outcome: 'pending', gates: [{ gate: 'approval', outcome: 'pending', reasons: ['waiting for a person'] }], fingerprint: 'f', at: '2026-03-01T11:00:00.000Z', attempts: 1 };
    const tag: TagState = { imageId: ACI, source: 'demo.azurecr.io/aci-helloworld:v1', tag: 'v1', target: '127.0.0.1:1/aci-helloworld', seenDigest: D1, status: 'pending' };
    await h.state.put('verdict', digestKey(ACI, D1), held);
    await h.state.put('tag', tagKey(ACI, 'v1'), tag);
    const id = digestKey(ACI, D1);

    const before = await call(status, request('GET', 'status'), h);
    expect(before.body.pendingApprovals).toEqual([{ id, imageId: ACI, digest: D1, since: held.at, waitingFor: ['waiting for a person'], decision: null }]);
    expect(before.body.tags).toEqual([tag]);

    // Who decides is the principal App Service authenticated (approvals-identity.test.ts covers the platform side).
    const alice: Caller = { kind: 'principal', principal: { objectId: '11111111-2222-3333-4444-555555555555', name: 'alice@contoso.com', roles: ['basegate.approver'], audiences: [] } };
    const decide = (body: string, raw = id) => request('POST', `approvals/${encodeURIComponent(raw)}`, { body, params: { id: encodeURIComponent(raw) } });
    const approve = (body: string, raw = id) => call(approvalDecision, decide(body, raw), h, alice);
    expect((await approve('{"decision": "maybe"}')).status).toBe(400);
    expect((await approve('{"decision": "approve", "extra": 1}')).body.error).toMatch(/extra/);
    expect((await approve('{"decision": "approve"')).body.code).toBe('BODY_MALFORMED_JSON');
    // Issue #15: a name in the body is not an identity.
    expect(await approve('{"decision": "approve", "by": "ciso@contoso.com"}')).toMatchObject({ status: 400, body: { code: 'APPROVAL_BY_REFUSED' } });
    expect((await approve('{"decision": "approve"}', `${ACI}@sha256:${'0'.repeat(64)}`)).status).toBe(404);
    expect((await approve('{"decision": "approve"}', `nope@${D1}`)).body.code).toBe('IMAGE_NOT_FOUND');
    expect((await approve('{"decision": "approve"}', ACI)).body.code).toBe('APPROVAL_NOT_FOUND');
    // A direct call with no authenticated caller records nothing.
    expect((await call(approvalDecision, decide('{"decision": "approve"}'), h)).body.code).toBe('AUTH_REQUIRED');
    expect(await h.state.get('approval', id)).toBeUndefined();

    const res = await approve('{"decision": "approve", "reason": "scanned by hand"}');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, decision: 'approved', by: 'alice@contoso.com', byId: alice.principal.objectId, reason: 'scanned by hand', checks: [{ tag: 'v1' }] });
    expect(h.checks.map((c) => [c.imageId, c.tag, c.reason])).toEqual([[ACI, 'v1', 'approval:approved']]);
    expect((await h.state.get<Approval>('approval', id))?.value).toEqual({ decision: 'approved', by: 'alice@contoso.com', byId: alice.principal.objectId, via: 'entra', reason: 'scanned by hand', at: '2026-03-01T12:00:00.000Z' });

    const after = await call(status, request('GET', 'status'), h);
    expect(after.body.pendingApprovals[0].decision).toMatchObject({ decision: 'approved', by: 'alice@contoso.com' });
    expect(after.body.audit).toContainEqual(expect.objectContaining({ stage: 'approval', outcome: 'approved', subject: `demo.azurecr.io/aci-helloworld:v1@${D1}`, digest: D1, detail: expect.objectContaining({ byId: alice.principal.objectId }) }));
    expect(JSON.stringify(after.body)).not.toMatch(/s3cret/);

    // First decision wins while the re-validation has not run yet...
    expect(await approve('{"decision": "reject"}')).toMatchObject({ status: 409, body: { code: 'APPROVAL_ALREADY_DECIDED', error: expect.stringMatching(/already approved by alice@contoso.com/) } });
    // ...and once it has, the digest is no longer held.
    await h.state.put('verdict', id, { ...held, outcome: 'approved', gates: [] });
    const decided = await approve('{"decision": "reject"}');
    expect(decided).toMatchObject({ status: 409, body: { code: 'APPROVAL_NOT_HELD', error: expect.stringMatching(/already approved/) } });
  });
});

describe('retag holds and what a person sees (issue #17)', () => {
  it('a tag moved back is listed under pendingApprovals with its diff and scan summary; a decision is kept per hold, first one wins', async () => {
    const D0 = `sha256:${'d0'.repeat(32)}`;
    const D2 = `sha256:${'d2'.repeat(32)}`;
    const summary = { format: 'trivy', from: 'command', counts: { critical: 0, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 }, baseline: { digest: D0, counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 } }, added: [{ id: 'CVE-2026-2003', package: 'libxml2', severity: 'high' }], addedTotal: 1, addedCounts: { critical: 0, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 }, fixed: [], fixedTotal: 0, ignored: 0 };
    const diff = { from: D0, to: D2, platforms: { added: [], removed: [], kept: ['linux/amd64'] }, perPlatform: [] };
    const approved: Verdict = { imageId: ACI, digest: D2, outcome: 'approved', gates: [{ gate: 'vulnerabilities', outcome: 'pass', reasons: [], detail: { summary } }], fingerprint: 'f', at: '2026-03-01T11:00:00.000Z', attempts: 1, diff };
    const hold = { digest: D2, reason: `moved back to an earlier digest: ${D2} was seen under v2 before the promoted ${D0}`, since: '2026-03-01T11:30:00.000Z' };
    const tag: TagState = { imageId: ACI, source: 'demo.azurecr.io/aci-helloworld:v2', tag: 'v2', target: '127.0.0.1:1/aci-helloworld', seenDigest: D2, status: 'pending', reason: hold.reason, hold, promoted: { sourceDigest: D0, targetDigest: D0, immutableTag: 'v2-d0d0d0d0d0d0', at: '2026-03-01T10:00:00.000Z' } };
    await h.state.put('verdict', digestKey(ACI, D2), approved);
    await h.state.put('tag', tagKey(ACI, 'v2'), tag);
    const id = digestKey(ACI, D2);

    const before = await call(status, request('GET', 'status'), h);
    expect(before.body.pendingApprovals).toContainEqual({ id, imageId: ACI, digest: D2, since: hold.since, waitingFor: [hold.reason], hold: { tag: 'v2' }, decision: null, vulnerabilities: summary, diff });
    expect(before.body.tags).toContainEqual({ ...tag, vulnerabilities: summary });

    const alice: Caller = { kind: 'principal', principal: { objectId: '11111111-2222-3333-4444-555555555555', name: 'alice@contoso.com', roles: ['basegate.approver'], audiences: [] } };
    const decide = (decision: string) => call(approvalDecision, request('POST', `approvals/${encodeURIComponent(id)}`, { body: `{"decision": "${decision}"}`, params: { id: encodeURIComponent(id) } }), h, alice);
    expect((await decide('approve')).status).toBe(200);
    // Recorded for this hold, not as the approval gate's decision on the digest.
    expect(await h.state.get('approval', id)).toBeUndefined();
    expect((await h.state.get<Approval>('approval', `${id}|hold|v2|${hold.since}`))?.value).toMatchObject({ decision: 'approved', by: 'alice@contoso.com' });
    expect(await decide('reject')).toMatchObject({ status: 409, body: { code: 'APPROVAL_ALREADY_DECIDED' } });
    const after = await call(status, request('GET', 'status'), h);
    expect(after.body.pendingApprovals.find((p: { id: string }) => p.id === id).decision).toMatchObject({ decision: 'approved' });
  });
});

describe('POST /api/images/{image}/check', () => {
  const check = (image: string, query = '') => request('POST', `images/${encodeURIComponent(image)}/check${query}`, { params: { image: encodeURIComponent(image) } });

  it('enqueues a detect by id (URL-encoded) or by source name; 202 with the correlation id', async () => {
    const res = await call(checkImage, check(ACI, '?tag=v2'), h);
    expect(res).toMatchObject({ status: 202, body: { imageId: ACI, tag: 'v2' } });
    expect(res.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(checkImage, check('node'), h)).body).toMatchObject({ imageId: NODE, tag: null });
    expect(h.checks).toEqual([
      { imageId: ACI, tag: 'v2', reason: 'http:check', correlationId: res.body.correlationId },
      expect.objectContaining({ imageId: NODE, tag: undefined }),
    ]);
  });

  it('unknown image → 404 listing the ids; untracked tag → 400', async () => {
    const unknown = await call(checkImage, check('docker.io/library/python'), h);
    expect(unknown).toMatchObject({ status: 404, body: { code: 'IMAGE_NOT_FOUND', error: expect.stringContaining(ACI) } });
    expect((await call(checkImage, check(ACI, '?tag=v9'), h)).body).toMatchObject({ code: 'TAG_NOT_TRACKED' });
    expect(h.checks).toEqual([]);
  });
});

describe('GET /api/status', () => {
  it('shows images, tags, newest poison records and audit, and no secret', async () => {
    const poisoned: PoisonRecord = { stage: 'validate', hash: 'ab'.repeat(32), status: 'poisoned', reason: 'unknown message version 9', cause: 'refused', failures: 1, poisoned: 1, at: '2026-03-01T10:00:00Z' };
    await fileState.put('poison', 'validate:m1', poisoned);
    await fileState.appendAudit({ at: '2026-03-01T10:00:00Z', stage: 'detect', subject: 'docker.io/library/node:20-alpine', outcome: 'changed' });
    const res = await call(status, request('GET', 'status'), h);
    expect(res.status).toBe(200);
    expect(res.body.images.map((i: { id: string }) => i.id)).toEqual([TESTHOOK, HELLO, ACI, NODE]);
    expect(res.body.poison).toEqual([{ key: 'validate:m1', ...poisoned }]);
    expect(res.body.audit).toHaveLength(1);
    expect(JSON.stringify(res.body)).not.toMatch(/s3cret/);
  });
});
