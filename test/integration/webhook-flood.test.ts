/**
 * Webhooks that cannot multiply work (issue #15), over the composed Functions app: two instances
 * of one app share Table Storage and the queues on Azurite, each sender's secret is read from
 * Key Vault (the contract fake), and the registered HTTP handlers are called as the host calls
 * them. Detects are counted on Azurite (the validate queue's message count, delayed messages
 * included). The payloads are the senders' documented shapes (test/fixtures/webhooks/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { Agent } from 'undici';
import type { PipelineMessage } from '../../functions/pipeline/messages';
import type { TagState } from '../../functions/pipeline/records';
import { signGenericDelivery } from '../../functions/webhooks/generic-signature';
import { functionsAppFixture, peekDecoded, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest } from '../helpers/raw-registry';
import { KeyVaultContractFake } from '../servers/key-vault-contract-fake';
import { testEnv, uniqueRepo } from '../servers/test-env';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'webhooks');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const SECRETS = { dockerhub: 'dh-flood-s3cret', acr: 'acr-flood-s3cret', generic: 'gen-flood-s3cret' };
const DELIVERIES = 1000;
const local = () => testEnv().registries.anonymous.host;

let vault: KeyVaultContractFake;
let dispatcher: Agent;
let secretEnv: Record<string, string>;

beforeAll(async () => {
  vault = await KeyVaultContractFake.start();
  dispatcher = new Agent({ connect: { ca: vault.ca } });
  secretEnv = {
    BASEGATE_DOCKERHUB_WEBHOOK_SECRET_URI: vault.setSecret('dockerhub-webhook-secret', SECRETS.dockerhub),
    BASEGATE_ACR_WEBHOOK_SECRET_URI: vault.setSecret('acr-webhook-secret', SECRETS.acr),
    BASEGATE_GENERIC_WEBHOOK_SECRET_URI: vault.setSecret('generic-webhook-secret', SECRETS.generic),
  };
});
afterAll(async () => {
  await dispatcher.close();
  await vault.close();
});
afterEach(() => vault.assertDone());

/** Two instances of one app over the same storage. */
async function twoInstances(config: string, clock?: { now(): Date }): Promise<[FunctionsAppFixture, FunctionsAppFixture]> {
  const options = { config, env: secretEnv, keyVault: { dispatcher, token: vault.token }, clock };
  const first = await functionsAppFixture(options);
  const second = await functionsAppFixture({ ...options, instanceOf: first });
  return [first, second];
}

function request(route: string, body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: `https://basegate-func.azurewebsites.net/api/${route}`, headers: { 'content-type': 'application/json', ...headers }, body: { string: body } });
}

async function post(app: FunctionsAppFixture, name: string, req: HttpRequest): Promise<{ status: number; body: Record<string, any> }> {
  const res = (await app.recorder.http.get(name)!.handler(req, new InvocationContext({ functionName: name, logHandler: () => undefined }))) as HttpResponseInit;
  return { status: res.status ?? 200, body: res.jsonBody as Record<string, any> };
}

/** Sends `count` deliveries made by `make(i)`, alternating between the instances, 50 at a time. */
async function flood(apps: FunctionsAppFixture[], count: number, make: (i: number) => [string, HttpRequest]): Promise<number[]> {
  const statuses: number[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, j) => start + j);
    statuses.push(...(await Promise.all(batch.map((i) => post(apps[i % apps.length], ...make(i)).then((r) => r.status)))));
  }
  return statuses;
}

/** Messages waiting in the validate queue on Azurite, invisible (delayed) ones included. */
async function detectsOnAzurite(app: FunctionsAppFixture): Promise<number> {
  const queue = app.service.getQueueClient(app.names.validate);
  // The app creates its queues on first send: no queue is no message.
  if (!(await queue.exists())) return 0;
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

const detects = (apps: FunctionsAppFixture[]) => apps.flatMap((a) => a.sent).filter((m): m is Extract<PipelineMessage, { kind: 'detect' }> => m.kind === 'detect');

describe('1,000 identical deliveries within 60 s: at most two detects per (image, tag)', () => {
  const CONFIG = [
    `target: { registry: "${'127.0.0.1:1'}" }`,
    'images:',
    '  - source: docker.io/svendowideit/testhook',
    '    tags: [latest]',
    '  - source: myregistry.azurecr.io/hello-world',
    '    tags: [v1]',
    '  - source: demo.azurecr.io/aci-helloworld',
    '    tags: [v1]',
  ].join('\n');
  let apps: [FunctionsAppFixture, FunctionsAppFixture];
  beforeEach(async () => {
    apps = await twoInstances(CONFIG);
  });
  afterEach(() => apps.forEach((a) => a.cleanup()));

  const hub = (body = fixture('dockerhub-push.json')) => ['webhookDockerHub', request(`webhooks/dockerhub?secret=${SECRETS.dockerhub}`, body)] as [string, HttpRequest];
  const acr = (body = fixture('acr-push.json')) => ['webhookAcr', request('webhooks/acr', body, { authorization: `Bearer ${SECRETS.acr}` })] as [string, HttpRequest];
  const eventGrid = (body = fixture('eventgrid-image-pushed.json')) => ['webhookEventGrid', request('webhooks/eventgrid', body)] as [string, HttpRequest];

  it.each([
    ['Docker Hub', () => hub(), 'svendowideit/testhook', 'latest'],
    ['ACR', () => acr(), 'hello-world', 'v1'],
    ['Event Grid', () => eventGrid(), 'aci-helloworld', 'v1'],
  ])('%s: the same delivery 1,000 times, over two instances → one detect', async (_sender, make, repo, tag) => {
    const statuses = await flood(apps, DELIVERIES, () => make());
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(await detectsOnAzurite(apps[0])).toBe(1);
    const sent = detects(apps);
    expect(sent).toEqual([expect.objectContaining({ tag })]);
    expect(sent[0].imageId).toContain(repo);
  });

  it.each([
    ['Docker Hub', (i: number) => hub(fixture('dockerhub-push.json').replace('"pushed_at": 1417566161', `"pushed_at": ${1417566161 + i}`)), 'latest'],
    ['ACR', (i: number) => acr(fixture('acr-push.json').replace('cb8c3971-9adc-488b-bdd8-43cbb4974ff5', `cb8c3971-9adc-488b-bdd8-${String(i).padStart(12, '0')}`)), 'v1'],
    ['Event Grid', (i: number) => eventGrid(JSON.stringify(JSON.parse(fixture('eventgrid-image-pushed.json')).map((e: { id: string }) => ({ ...e, id: `${e.id}-${i}` })))), 'v1'],
  ])('%s: 1,000 distinct deliveries for one tag, over two instances → one detect now and one at the window end', async (_sender, make, tag) => {
    const statuses = await flood(apps, DELIVERIES, make);
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(await detectsOnAzurite(apps[0])).toBe(2);
    // Only the first is visible now; the trailing one waits for the window's end.
    expect(await peekDecoded(apps[0].service, apps[0].names.validate)).toEqual([expect.objectContaining({ kind: 'detect', tag })]);
    expect(detects(apps).map((d) => d.tag)).toEqual([tag, tag]);
  });

  it('a forged ACR payload naming docker.io is ignored, even with the ACR secret', async () => {
    const forged = fixture('acr-push.json').replace('myregistry.azurecr.io', 'docker.io').replace('"hello-world"', '"svendowideit/testhook"').replace('"v1"', '"latest"');
    const res = await post(apps[0], ...acr(forged));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: [], ignored: [{ reason: expect.stringMatching(/^acr deliveries may not report on docker\.io: only myregistry\.azurecr\.io, demo\.azurecr\.io/) }] });
    const viaEventGrid = JSON.stringify(JSON.parse(fixture('eventgrid-image-pushed.json')).map((e: { data: { request: { host: string } } }) => ({ ...e, data: { ...e.data, request: { ...e.data.request, host: 'index.docker.io' } } })));
    expect((await post(apps[0], ...eventGrid(viaEventGrid))).body.accepted).toEqual([]);
    expect(await detectsOnAzurite(apps[0])).toBe(0);
  });

  it('a Docker Hub secret cannot sign a generic delivery, nor pass as the ACR secret', async () => {
    const body = JSON.stringify({ image: 'docker.io/svendowideit/testhook:latest' });
    const signedWithHub = signGenericDelivery(body, SECRETS.dockerhub, Date.now() / 1000, 'forged-1');
    expect(await post(apps[0], 'webhookGeneric', request('webhooks/generic', body, signedWithHub))).toMatchObject({ status: 401, body: { code: 'WEBHOOK_SIGNATURE_WRONG' } });
    const asAcr = await post(apps[0], 'webhookAcr', request('webhooks/acr', fixture('acr-push.json'), { authorization: `Bearer ${SECRETS.dockerhub}` }));
    expect(asAcr).toMatchObject({ status: 401, body: { code: 'WEBHOOK_SECRET_WRONG' } });
    // The generic secret does sign it.
    const signed = signGenericDelivery(body, SECRETS.generic, Date.now() / 1000, 'genuine-1');
    expect((await post(apps[0], 'webhookGeneric', request('webhooks/generic', body, signed))).status).toBe(202);
    expect(await detectsOnAzurite(apps[0])).toBe(1);
  });
});

describe('a tag that moves twice within the window still ends at its final digest', () => {
  it('1,000 ACR and Event Grid deliveries: one detect at once, one trailing detect that promotes the last digest', async () => {
    const [repo, targetRepo] = [uniqueRepo('flood-up'), uniqueRepo('flood-base')];
    const [a, b, c] = ['a', 'b', 'c'].map((seed) => synthImage({ seed: `${repo}-${seed}` }));
    // The app's clock stands still while the burst arrives, so the whole burst falls in one window
    // however slow the machine; the queue's visibility delay is real time (5 s window).
    let now = new Date();
    const clock = { now: () => now };
    const apps = await twoInstances(
      [
        `target: { registry: "${local()}" }`,
        'webhooks:',
        '  coalesceWindow: 5s',
        `  acr: { registries: ["${local()}"] }`,
        `  eventgrid: { registries: ["${local()}"] }`,
        'images:',
        `  - source: ${local()}/${repo}`,
        '    tags: [v1]',
        `    repository: ${targetRepo}`,
      ].join('\n'),
      clock,
    );
    try {
      const acrPush = (id: string, digest: string) =>
        ['webhookAcr', request('webhooks/acr', JSON.stringify({ id, action: 'push', target: { repository: repo, tag: 'v1', digest }, request: { host: local() } }), { authorization: `Bearer ${SECRETS.acr}` })] as [string, HttpRequest];
      const eventGridPush = (id: string, digest: string) =>
        ['webhookEventGrid', request('webhooks/eventgrid', JSON.stringify([{ id, eventType: 'Microsoft.ContainerRegistry.ImagePushed', topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ContainerRegistry/registries/local', data: { action: 'push', target: { repository: repo, tag: 'v1', digest }, request: { host: local() } } }]))] as [string, HttpRequest];

      await pushImage({ host: local() }, repo, ['v1'], a);
      expect((await post(apps[0], ...acrPush('push-a', a.digest))).body.accepted).toEqual([expect.objectContaining({ detect: 'now' })]);
      expect(await detectsOnAzurite(apps[0])).toBe(1);
      await apps[0].host.drain();
      expect((await rawGetManifest({ host: local() }, targetRepo, 'v1'))?.digest).toBe(a.digest);

      // Within the same window the tag moves to b, then to c; the senders report each push, and repeat themselves.
      now = new Date(now.getTime() + 1000);
      await pushImage({ host: local() }, repo, ['v1'], b);
      const toB = await flood(apps, DELIVERIES / 2, (i) => (i % 2 ? acrPush(`push-b-${i % 7}`, b.digest) : eventGridPush(`push-b-${i}`, b.digest)));
      await pushImage({ host: local() }, repo, ['v1'], c);
      const toC = await flood(apps, DELIVERIES / 2, (i) => (i % 2 ? acrPush(`push-c-${i}`, c.digest) : eventGridPush(`push-c-${i % 5}`, c.digest)));
      expect([...toB, ...toC].every((s) => s === 202)).toBe(true);
      // The burst added exactly one detect: the trailing one, sent with a visibility delay to the window's end.
      expect(await detectsOnAzurite(apps[0])).toBe(1);
      expect(detects(apps)).toHaveLength(2);

      now = new Date(now.getTime() + 5000);
      await apps[0].host.drain();
      expect((await rawGetManifest({ host: local() }, targetRepo, 'v1'))?.digest).toBe(c.digest);
      const tag = (await apps[0].runtime.state.get<TagState>('tag', `${apps[0].runtime.images[0].id}:v1`))!.value;
      expect(tag).toMatchObject({ seenDigest: c.digest, promoted: { sourceDigest: c.digest } });
      expect(detects(apps)).toHaveLength(2);
    } finally {
      apps.forEach((x) => x.cleanup());
    }
  });
});
