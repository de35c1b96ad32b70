/**
 * Two basegate instances chained by a signed webhook (issue #15): instance A promotes an upstream
 * image and tells its dependent, instance B's generic endpoint, with its rebuild webhook. B tracks
 * A's promoted copy as its own upstream. Both are the composed Functions app over Azurite; B's
 * HTTP routes are served by a loopback stand-in of the host's front end (function keys enforced),
 * so the delivery crosses a real socket. B accepts A's v1 signature (`ts.id.body`), detects A's
 * copy and promotes it into its own base registry.
 */
import { createHmac } from 'node:crypto';
import { Agent } from 'undici';
import type { AuditRecord } from '../../functions/pipeline/ports';
import { functionsAppFixture, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { startFunctionsHttpHost, type FunctionsHttpHost } from '../helpers/functions-http-host';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest } from '../helpers/raw-registry';
import { KeyVaultContractFake } from '../servers/key-vault-contract-fake';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';

const SECRET = 'chain-s3cret-shared-by-a-and-b';
const anonymous = () => ({ host: testEnv().registries.anonymous.host });
const token = () => registryLogin('token');

let vault: KeyVaultContractFake;
let vaultDispatcher: Agent;
let a: FunctionsAppFixture;
let b: FunctionsAppFixture;
let bHost: FunctionsHttpHost;
let upstreamRepo: string;
let aRepo: string;
let bRepo: string;

beforeAll(async () => {
  vault = await KeyVaultContractFake.start();
  vaultDispatcher = new Agent({ connect: { ca: vault.ca } });
});
afterAll(async () => {
  await vaultDispatcher.close();
  await vault.close();
});

beforeEach(async () => {
  [upstreamRepo, aRepo, bRepo] = [uniqueRepo('chain-up'), uniqueRepo('chain-a'), uniqueRepo('chain-b')];
  const t = token();
  b = await functionsAppFixture({
    config: [
      'registries:',
      `  "${t.host}": { username: ${t.username}, password: "\${TARGET_PASSWORD}" }`,
      `target: { registry: "${t.host}" }`,
      'images:',
      `  - source: ${anonymous().host}/${aRepo}`,
      '    tags: [v1]',
      `    repository: ${bRepo}`,
    ].join('\n'),
    // B reads its generic webhook secret from Key Vault (the contract fake), as in Azure.
    env: { TARGET_PASSWORD: t.password, BASEGATE_GENERIC_WEBHOOK_SECRET_URI: vault.setSecret('generic-webhook-secret', SECRET) },
    keyVault: { dispatcher: vaultDispatcher, token: vault.token },
  });
  bHost = await startFunctionsHttpHost(b.recorder);
  const hook = `${bHost.url}/api/webhooks/generic?code=${bHost.functionKeys.webhookGeneric}`;
  a = await functionsAppFixture({
    env: { CHAIN_SECRET: SECRET },
    config: [
      `target: { registry: "${anonymous().host}" }`,
      'images:',
      `  - source: ${anonymous().host}/${upstreamRepo}`,
      '    tags: [v1]',
      `    repository: ${aRepo}`,
      '    dependents:',
      `      - { name: downstream-basegate, webhook: { url: "${hook}", secret: "\${CHAIN_SECRET}" } }`,
    ].join('\n'),
  });
});

afterEach(async () => {
  vault.assertDone();
  await bHost.close();
  a.cleanup();
  b.cleanup();
});

it("B accepts A's signed promotion event, detects A's copy and promotes it", async () => {
  const image = synthImage({ seed: `${upstreamRepo}-chain`, layers: 1 });
  await pushImage(anonymous(), upstreamRepo, ['v1'], image);

  await a.runTimer('detect');
  const aRuns = await a.host.drain();
  expect(aRuns.map((d) => [d.functionName, d.outcome])).toEqual([
    ['validate', 'completed'],
    ['validate', 'completed'],
    ['promote', 'completed'],
    ['rebuild', 'completed'],
  ]);
  expect(bHost.served).toEqual([{ method: 'POST', path: '/api/webhooks/generic', functionName: 'webhookGeneric', status: 202 }]);
  const rebuilt = (await a.runtime.state.listAudit()).filter((r: AuditRecord) => r.stage === 'rebuild');
  expect(rebuilt.map((r) => r.outcome)).toEqual(['triggered']);

  // B was asked for exactly its image's tag; nothing else of B ran yet.
  expect(b.sent).toEqual([expect.objectContaining({ kind: 'detect', imageId: b.runtime.images[0].id, tag: 'v1', reason: 'webhook:generic' })]);
  const bRuns = await b.host.drain();
  expect(bRuns.map((d) => [d.functionName, d.outcome])).toEqual([
    ['validate', 'completed'],
    ['validate', 'completed'],
    ['promote', 'completed'],
  ]);
  expect((await rawGetManifest(token(), bRepo, 'v1'))?.digest).toBe(image.digest);
});

it('B refuses a delivery that carries only the deprecated body-only signature, and one signed with another secret', async () => {
  const body = JSON.stringify({ event: 'base-image-promoted', image: `${anonymous().host}/${upstreamRepo}:v1`, tag: 'v1', target: `${anonymous().host}/${aRepo}@sha256:${'a'.repeat(64)}` });
  const ts = String(Math.floor(Date.now() / 1000));
  const post = (headers: Record<string, string>) =>
    fetch(`${bHost.url}/api/webhooks/generic?code=${bHost.functionKeys.webhookGeneric}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-basegate-timestamp': ts, 'x-basegate-delivery': `d-${ts}`, ...headers }, body });
  const hmac = (key: string, bytes: string) => `sha256=${createHmac('sha256', key).update(bytes).digest('hex')}`;

  const legacy = await post({ 'x-basegate-signature': hmac(SECRET, body) });
  expect(legacy.status).toBe(401);
  expect(await legacy.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_WRONG' });
  const other = await post({ 'x-basegate-signature-v1': hmac('another-secret', `${ts}.d-${ts}.${body}`) });
  expect(other.status).toBe(401);
  const right = await post({ 'x-basegate-signature-v1': hmac(SECRET, `${ts}.d-${ts}.${body}`) });
  expect(right.status).toBe(202);
  expect(b.sent.map((m) => m.kind)).toEqual(['detect']);
});
