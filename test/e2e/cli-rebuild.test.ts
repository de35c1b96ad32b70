/**
 * Issue #6 through the CLI: `basegate sync` tells each webhook dependent once per promotion.
 * Strict loopback receivers (HTTP, and HTTPS with an openssl self-signed certificate) check the
 * contract: a JSON POST with exactly the event fields, an `X-Basegate-Signature` verified with
 * node:crypto independently of basegate, and no request they were not told to expect.
 * The HTTPS receiver is trusted the way an operator would trust a private CA: NODE_EXTRA_CA_CERTS
 * in the environment of a separate `basegate` process (Node reads it only at start).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pushImage, synthImage } from '../helpers/image-synth';
import { runCli } from '../helpers/cli-run';
import { runCliChild } from '../helpers/cli-child';
import { at, cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { makeSelfSignedCert, type SelfSignedCert } from '../servers/self-signed-cert';
import { uniqueRepo } from '../servers/test-env';
import { expectedSignature, startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const HTTP_SECRET = 'whsec-http-e2e';
const HTTPS_SECRET = 'whsec-https-e2e';
const NOW = '2026-03-01T12:00:00Z';

let http: WebhookReceiver;
let https: WebhookReceiver;
/** A second HTTP receiver, for two dependents told at the same time (each receiver answers in order). */
let other: WebhookReceiver;
let cert: SelfSignedCert;
let ws: CliWorkspace;

beforeAll(async () => {
  cert = makeSelfSignedCert('basegate-webhook-receiver');
  [http, https, other] = await Promise.all([startWebhookReceiver(), startWebhookReceiver({ tls: cert }), startWebhookReceiver()]);
  Object.assign(process.env, { HTTP_HOOK_SECRET: HTTP_SECRET, HTTPS_HOOK_SECRET: HTTPS_SECRET });
});
afterAll(async () => {
  await Promise.all([http?.close(), https?.close(), other?.close()]);
});
beforeEach(() => (ws = cliWorkspace('basegate-rebuild-')));
afterEach(() => {
  ws.cleanup();
  http.assertDone();
  https.assertDone();
  other.assertDone();
});

interface Seeded {
  repo: string;
  targetRepo: string;
  config: string;
}

/** An upstream image tracked as v1 with the given dependents (YAML list items). */
async function seeded(dependents: string[], seed: string): Promise<Seeded & { digest: string }> {
  const repo = uniqueRepo('rebuilt');
  const image = synthImage({ seed });
  await pushImage(upstreamRegistry(), repo, ['v1'], image);
  const targetRepo = uniqueRepo('base');
  const config = ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${targetRepo}`, '    dependents:', ...dependents.map((d) => `      - ${d}`)].join('\n'));
  return { repo, targetRepo, config, digest: image.digest };
}

const httpHook = (name = 'http-ci', receiver = http) => `{ name: ${name}, webhook: { url: "${receiver.url}/hooks/${name}", secret: "${'${HTTP_HOOK_SECRET}'}" } }`;
const httpsHook = () => `{ name: https-ci, webhook: { url: "${https.url}/hooks/base", secret: "${'${HTTPS_HOOK_SECRET}'}", headers: { X-Team: web } } }`;

/** The body every dependent of a promotion of `digest` must receive. */
function expectedBody(s: Seeded, digest: string, previousDigest?: string, diff?: object) {
  const target = targetRegistry().host;
  return {
    event: 'base-image-promoted',
    image: `${upstreamRegistry().host}/${s.repo}:v1`,
    tag: 'v1',
    digest,
    target: `${target}/${s.targetRepo}@${digest}`,
    immutableTag: `v1-${digest.slice(7, 19)}`,
    time: expect.stringMatching(/^2026-03-01T12:0\d:\d\d\.\d{3}Z$/),
    ...(previousDigest ? { previousDigest } : {}),
    ...(diff ? { diff } : {}),
  };
}

/** The receiver got exactly one delivery, with that body, signed with `secret` over its exact bytes. */
function expectOneDelivery(receiver: WebhookReceiver, secret: string, body: object): void {
  expect(receiver.requests).toHaveLength(1);
  const [delivery] = receiver.deliveries;
  expect(delivery.json).toEqual(body);
  expect(Object.keys(delivery.json as object)).toEqual(Object.keys(body));
  expect(delivery.request.headers['x-basegate-signature']).toBe(expectedSignature(delivery.request.body, secret));
  expect(delivery.signatureValid).toBe(true);
  expect(delivery.request.headers['x-basegate-event']).toBe('base-image-promoted');
}

describe('basegate sync → webhook dependents', () => {
  it('an HTTPS and an HTTP receiver each get exactly one signed webhook per promotion; a sync with nothing new sends nothing', async () => {
    const s = await seeded([httpsHook(), httpHook()], 'rebuild-both');
    const caFile = path.join(ws.dir, 'receiver-ca.pem');
    fs.writeFileSync(caFile, cert.cert);
    const env = { NODE_EXTRA_CA_CERTS: caFile, BASEGATE_NOW: NOW, TARGET_PASSWORD: targetRegistry().password };
    const sync = async () => {
      const result = await runCliChild(['sync', '--config', s.config, '--json'], env);
      if (!result.stdout.startsWith('{')) throw new Error(`sync (exit ${result.code}): ${result.stderr}`);
      return { code: result.code, tag: JSON.parse(result.stdout).tags[0] };
    };

    http.expectDelivery({ secret: HTTP_SECRET });
    https.expectDelivery({ secret: HTTPS_SECRET });
    const first = await sync();
    expect(first).toMatchObject({ code: 0, tag: { status: 'promoted', rebuilds: [{ dependent: 'https-ci', status: 'sent' }, { dependent: 'http-ci', status: 'sent' }] } });
    expectOneDelivery(http, HTTP_SECRET, expectedBody(s, s.digest));
    expectOneDelivery(https, HTTPS_SECRET, expectedBody(s, s.digest));
    expect(https.deliveries[0].request.headers['x-team']).toBe('web');
    // The two receivers got the same event, each signed with its own secret.
    expect(https.deliveries[0].request.body.equals(http.deliveries[0].request.body)).toBe(true);
    expect(https.deliveries[0].request.headers['x-basegate-signature']).not.toBe(http.deliveries[0].request.headers['x-basegate-signature']);
    http.assertDone();
    https.assertDone();

    const second = await sync();
    expect(second).toMatchObject({ code: 0, tag: { status: 'unchanged' } });
    expect(http.requests).toHaveLength(0);
    expect(https.requests).toHaveLength(0);

    const moved = synthImage({ seed: 'rebuild-both-2' });
    await pushImage(upstreamRegistry(), s.repo, ['v1'], moved);
    http.expectDelivery({ secret: HTTP_SECRET });
    https.expectDelivery({ secret: HTTPS_SECRET });
    const third = await sync();
    expect(third).toMatchObject({ code: 0, tag: { status: 'promoted', digest: moved.digest } });
    // What changed rides along, bounded (pipeline/diff.ts briefDiff): both platforms got two new layers each, same sizes.
    const diff = { from: s.digest, to: moved.digest, platformsAdded: [], platformsRemoved: [], sizeDelta: 0, layersAdded: 4, labels: [] };
    expectOneDelivery(http, HTTP_SECRET, expectedBody(s, moved.digest, s.digest, diff));
    expectOneDelivery(https, HTTPS_SECRET, expectedBody(s, moved.digest, s.digest, diff));
  }, 180_000);

  it('an HTTPS receiver whose certificate is not trusted gets nothing; the failure is recorded and does not block the HTTP one', async () => {
    const s = await seeded([httpsHook(), httpHook()], 'rebuild-untrusted');
    http.expectDelivery({ secret: HTTP_SECRET });
    const result = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
    expect(result.code).toBe(1);
    const tag = JSON.parse(result.stdout).tags[0];
    expect(tag.status).toBe('promoted');
    expect(tag.rebuilds).toEqual([
      { dependent: 'https-ci', status: 'failed', error: expect.stringMatching(/certificate/i) },
      { dependent: 'http-ci', status: 'sent' },
    ]);
    expect(https.requests).toHaveLength(0);
    expectOneDelivery(http, HTTP_SECRET, expectedBody(s, s.digest));
    const status = JSON.parse((await runCli('status', '--config', s.config, '--json')).stdout).tags[0];
    expect(status.rebuilds).toEqual(expect.arrayContaining([expect.objectContaining({ dependent: 'https-ci', status: 'failed', lastError: expect.stringMatching(/certificate/i) })]));
  });

  it('a receiver failing twice then succeeding gets it within the sync, once accepted; the next sync sends nothing', async () => {
    const s = await seeded([httpHook()], 'rebuild-flaky');
    http.expectDelivery({ secret: HTTP_SECRET, reply: { status: 503, body: { message: 'busy' } } });
    http.expectDelivery({ secret: HTTP_SECRET, reply: { status: 502 } });
    http.expectDelivery({ secret: HTTP_SECRET });
    const result = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).tags[0].rebuilds).toEqual([{ dependent: 'http-ci', status: 'sent' }]);
    expect(http.deliveries).toHaveLength(3);
    // The same delivery each time: same id, same bytes, valid signature (receivers can dedupe).
    const ids = new Set(http.deliveries.map((d) => d.request.headers['x-basegate-delivery']));
    expect(ids.size).toBe(1);
    expect(http.deliveries.every((d) => d.request.body.equals(http.deliveries[0].request.body) && d.signatureValid)).toBe(true);
    expect(http.deliveries[0].json).toEqual(expectedBody(s, s.digest));
    http.assertDone();

    expect((await at(NOW, () => runCli('sync', '--config', s.config))).code).toBe(0);
    expect(http.requests).toHaveLength(0);
    const audit = fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"stage":"rebuild"'));
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0])).toMatchObject({ outcome: 'triggered', detail: { dependent: 'http-ci', attempts: 3 } });
  }, 30_000);

  it('a receiver still failing at the end of a sync gets it on the next sync, once; then nothing more', async () => {
    const s = await seeded([httpHook()], 'rebuild-down');
    for (let i = 0; i < 3; i++) http.expectDelivery({ secret: HTTP_SECRET, reply: { status: 503 } });
    const down = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout).tags[0]).toMatchObject({ status: 'promoted', rebuilds: [{ dependent: 'http-ci', status: 'retry', error: expect.stringContaining('503') }] });
    http.assertDone();
    const held = JSON.parse((await runCli('status', '--config', s.config, '--json')).stdout).tags[0];
    expect(held.rebuilds).toEqual([expect.objectContaining({ dependent: 'http-ci', status: 'retry', lastError: expect.stringContaining('503') })]);

    http.expectDelivery({ secret: HTTP_SECRET });
    const up = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout).tags[0]).toMatchObject({ status: 'unchanged', rebuilds: [{ dependent: 'http-ci', status: 'sent' }] });
    expect(http.deliveries[0].json).toEqual(expectedBody(s, s.digest));
    http.assertDone();

    expect((await at(NOW, () => runCli('sync', '--config', s.config))).code).toBe(0);
    expect(http.requests).toHaveLength(0);
  }, 30_000);

  it('a receiver refusing the delivery (4xx) is reported failed at once and not retried by later syncs', async () => {
    const s = await seeded([httpHook('refusing'), httpHook('accepting', other)], 'rebuild-refused');
    http.expectDelivery({ secret: HTTP_SECRET, reply: { status: 400, body: { message: 'unknown repository' } } });
    other.expectDelivery({ secret: HTTP_SECRET });
    const first = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout).tags[0].rebuilds).toEqual([
      { dependent: 'refusing', status: 'failed', error: expect.stringContaining('400') },
      { dependent: 'accepting', status: 'sent' },
    ]);
    http.assertDone();
    other.assertDone();
    await at(NOW, () => runCli('sync', '--config', s.config));
    expect(http.requests).toHaveLength(0);
    expect(other.requests).toHaveLength(0);
  });
});
