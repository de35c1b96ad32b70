/**
 * The Functions app's queue flow end to end, on real servers: the registered `detect` timer's
 * messages really land in an Azurite queue; a host that honours host.json drains them through
 * the registered handlers (real InvocationContexts); the promoted digest, its moving and
 * immutable tags end up in the token-auth docker-registry; the dependent's webhook receiver gets
 * exactly one delivery; and a second delivery of any message changes nothing.
 */
import { QUEUES } from '../../functions/azure/names';
import type { AuditRecord } from '../../functions/pipeline/ports';
import { promotionId, rebuildKey, type RebuildRecord, type TagState } from '../../functions/pipeline/records';
import { functionsAppFixture, peekDecoded, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest, rawTags } from '../helpers/raw-registry';
import { startFaultProxy } from '../helpers/fault-proxy';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const upstream = () => ({ host: testEnv().registries.anonymous.host });
const target = () => registryLogin('token');

/** basegate.yaml tracking `<source>/<repo>:a` into the token-auth registry, with `extra` lines under the image. */
const configFor = (source: string, extra: string[] = []) => {
  const t = target();
  return [
    'registries:',
    `  "${t.host}": { username: ${t.username}, password: "\${TARGET_PASSWORD}" }`,
    'target:',
    `  registry: "${t.host}"`,
    'images:',
    `  - source: ${source}/${repo}`,
    '    tags: [a]',
    `    repository: ${targetRepo}`,
    ...extra,
  ].join('\n');
};

let receiver: WebhookReceiver;
let app: FunctionsAppFixture;
let repo: string;
let targetRepo: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  repo = uniqueRepo('upstream');
  targetRepo = uniqueRepo('base');
  app = await functionsAppFixture({
    env: { TARGET_PASSWORD: target().password },
    config: configFor(upstream().host, ['    dependents:', `      - webhook: { url: "${receiver.url}/hooks/base" }`]),
  });
});
afterEach(() => {
  app.cleanup();
  receiver.assertDone();
});

const logs = (prefix: string, fixture = app) => fixture.host.logs.filter((l) => l.message.startsWith(prefix)).map((l) => JSON.parse(l.message.slice(prefix.length + 1)) as Record<string, unknown>);

/** A timer tick drained to the end: the tag promoted, the dependent told once. */
async function promoteOnce(): Promise<void> {
  await app.runTimer('detect');
  receiver.expectDelivery();
  await app.host.drain();
  receiver.assertDone();
}

describe('the queue flow through Azurite', () => {
  it('timer → validate → promote → rebuild: the digest is promoted with both tags, the dependent told once, the correlation id followed', async () => {
    const image = synthImage({ seed: `${repo}-1`, layers: 2 });
    await pushImage(upstream(), repo, ['a'], image);
    const imageId = app.runtime.images[0].id;

    await app.runTimer('detect');
    const enqueued = await peekDecoded(app.service, app.names.validate);
    expect(enqueued).toEqual([{ v: 1, kind: 'detect', imageId, reason: 'schedule', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    const correlationId = (enqueued[0] as { correlationId: string }).correlationId;

    receiver.expectDelivery();
    const deliveries = await app.host.drain();
    expect(deliveries.map((d) => [d.functionName, d.outcome])).toEqual([
      ['validate', 'completed'], // the detect request
      ['validate', 'completed'], // the validate message it sent
      ['promote', 'completed'],
      ['rebuild', 'completed'],
    ]);
    expect(app.sent.map((m) => m.kind)).toEqual(['detect', 'validate', 'promote', 'rebuild']);

    const immutable = `a-${image.digest.slice(7, 19)}`;
    expect((await rawGetManifest(target(), targetRepo, 'a'))?.digest).toBe(image.digest);
    expect((await rawGetManifest(target(), targetRepo, immutable))?.digest).toBe(image.digest);
    expect(await rawTags(target(), targetRepo)).toEqual(['a', immutable]);
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0].json).toMatchObject({ digest: image.digest, tag: 'a' });

    const tag = (await app.runtime.state.get<TagState>('tag', `${imageId}:a`))!.value;
    expect(tag).toMatchObject({ status: 'promoted', seenDigest: image.digest, promoted: { sourceDigest: image.digest, immutableTag: immutable } });
    const audit = await app.runtime.state.listAudit();
    const followed = audit.filter((a: AuditRecord) => a.correlationId?.startsWith(correlationId));
    expect(followed.map((a) => [a.stage, a.outcome])).toEqual([
      ['detect', 'new'],
      ['validate', 'approved'],
      ['promote', 'promoted'],
      ['rebuild', 'triggered'],
    ]);

    const decisions = logs('basegate.decision');
    expect(decisions.filter((d) => d.correlationId === `${correlationId}/a`).map((d) => [d.stage, d.outcome])).toEqual([
      ['detect', 'new'],
      ['validate', 'approved'],
      ['promote', 'promoted'],
      ['rebuild', 'sent'],
    ]);
    const metrics = logs('basegate.metric').map((m) => m.name);
    expect(metrics).toEqual(expect.arrayContaining(['basegate.images_checked', 'basegate.tags_changed', 'basegate.approved', 'basegate.promoted', 'basegate.rebuilds']));
    expect(metrics.filter((m) => m === 'basegate.rebuilds')).toHaveLength(1);
  });

  it('a promote and a rebuild message delivered twice, and another timer tick, change nothing', async () => {
    const image = synthImage({ seed: `${repo}-1`, layers: 1 });
    await pushImage(upstream(), repo, ['a'], image);
    await promoteOnce();
    const imageId = app.runtime.images[0].id;
    const rebuildKeyOf = (digest: string) => rebuildKey(promotionId({ target: app.runtime.images[0].target.withDigest(digest).toString(), tag: 'a' }), app.runtime.images[0].dependents[0].id);
    const rebuildBefore = await app.runtime.state.get<RebuildRecord>('rebuild', rebuildKeyOf(image.digest));
    const auditBefore = await app.runtime.state.listAudit();
    const tagBefore = await app.runtime.state.get<TagState>('tag', `${imageId}:a`);

    // The same messages again, as an at-least-once queue may deliver them.
    const again = app.sent.filter((m) => m.kind === 'promote' || m.kind === 'rebuild');
    expect(again.map((m) => m.kind)).toEqual(['promote', 'rebuild']);
    for (const m of again) await app.runtime.queue.send(m);
    await app.runTimer('detect');
    const sentBefore = app.sent.length;
    const deliveries = await app.host.drain();
    expect(deliveries.every((d) => d.outcome === 'completed')).toBe(true);
    expect(deliveries.map((d) => d.functionName).sort()).toEqual(['promote', 'rebuild', 'validate']);

    // No webhook (the receiver expects none), no new message, no new audit entry, same records.
    expect(receiver.requests).toHaveLength(0);
    expect(app.sent.slice(sentBefore)).toEqual([]);
    expect(rebuildBefore?.value.status).toBe('sent');
    expect(await app.runtime.state.get<RebuildRecord>('rebuild', rebuildKeyOf(image.digest))).toEqual(rebuildBefore);
    // Only the time of the last check moves.
    expect({ ...(await app.runtime.state.get<TagState>('tag', `${imageId}:a`))!.value, checkedAt: 'x' }).toEqual({ ...tagBefore!.value, checkedAt: 'x' });
    expect(await app.runtime.state.listAudit()).toEqual(auditBefore);
    expect(logs('basegate.decision').filter((d) => d.stage === 'promote').map((d) => d.outcome)).toEqual(['promoted', 'promoted-already']);
  });

  it('a moved upstream tag is promoted again: the moving tag follows, the old immutable tag stays, the dependent is told with the previous digest', async () => {
    const first = synthImage({ seed: `${repo}-1`, layers: 1 });
    const second = synthImage({ seed: `${repo}-2`, layers: 1 });
    await pushImage(upstream(), repo, ['a'], first);
    await promoteOnce();

    await pushImage(upstream(), repo, ['a'], second);
    await app.runTimer('detect');
    receiver.expectDelivery();
    await app.host.drain();
    expect((await rawGetManifest(target(), targetRepo, 'a'))?.digest).toBe(second.digest);
    expect((await rawGetManifest(target(), targetRepo, `a-${first.digest.slice(7, 19)}`))?.digest).toBe(first.digest);
    expect((await rawGetManifest(target(), targetRepo, `a-${second.digest.slice(7, 19)}`))?.digest).toBe(second.digest);
    expect(receiver.deliveries[0].json).toMatchObject({ digest: second.digest, previousDigest: first.digest });
  });

  it('registers its queue triggers on the queues names.ts declares', () => {
    expect(Object.fromEntries([...app.recorder.queues].map(([name, o]) => [name, o.queueName]))).toEqual({ validate: QUEUES.validate, promote: QUEUES.promote, rebuild: QUEUES.rebuild });
  });

  it('upstream throttling is a delay, not a failure: the promote message comes back later, and throttled requests are counted', async () => {
    const proxy = await startFaultProxy({ upstream: `http://${upstream().host}`, rules: [{ name: '429 on blobs', method: 'GET', path: /\/blobs\//, respond: { status: 429, headers: { 'retry-after': '120' } } }] });
    const throttled = await functionsAppFixture({ env: { TARGET_PASSWORD: target().password }, config: configFor(proxy.host) });
    try {
      await pushImage(upstream(), repo, ['a'], synthImage({ seed: `${repo}-t`, layers: 1 }));
      await throttled.runTimer('detect');
      const deliveries = await throttled.host.drain(1500);
      expect(deliveries.map((d) => [d.functionName, d.outcome])).toEqual([
        ['validate', 'completed'],
        ['validate', 'completed'],
        ['promote', 'completed'], // not failed: re-sent with a delay
      ]);
      const last = throttled.sent[throttled.sent.length - 1];
      expect(last).toMatchObject({ kind: 'promote', attempt: 1 });
      const promoteQueue = throttled.service.getQueueClient(throttled.names.promote);
      expect((await promoteQueue.getProperties()).approximateMessagesCount).toBe(1);
      expect((await promoteQueue.peekMessages()).peekedMessageItems).toEqual([]); // invisible for now
      const decisions = logs('basegate.decision', throttled);
      expect(decisions).toContainEqual(expect.objectContaining({ stage: 'promote', outcome: 'delayed', attempt: 1, delaySeconds: 120 }));
      const metrics = logs('basegate.metric', throttled);
      expect(metrics).toContainEqual(expect.objectContaining({ name: 'basegate.throttled', reason: 'status', host: proxy.host }));
      expect(await rawTags(target(), targetRepo).catch(() => [])).toEqual([]);
    } finally {
      throttled.cleanup();
      await proxy.stop();
    }
  });
});
