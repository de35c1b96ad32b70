/**
 * Messages that can never succeed end in the poison queue with their reason recorded, never in
 * a crash loop; the poison watch records what the host poisoned; `basegate replay-poison` moves
 * them back. On an Azurite of this file's own, so the queues and tables carry the names the
 * Bicep declares (names.ts) and the CLI finds them by default.
 */
import { QueueServiceClient } from '@azure/storage-queue';
import { POISON_SUFFIX, QUEUES } from '../../functions/azure/names';
import { newMessage } from '../../functions/pipeline/messages';
import type { PoisonRecord } from '../../functions/pipeline/poison-record';
import { functionsAppFixture, peekDecoded, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { runCli } from '../helpers/cli-run';
import { startAzurite, type AzuriteServer } from '../servers/azurite-server';
import { testEnv, uniqueRepo } from '../servers/test-env';

let azurite: AzuriteServer;
let app: FunctionsAppFixture;
let service: QueueServiceClient;
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const poisonOf = (queue: string) => `${queue}${POISON_SUFFIX}`;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

beforeAll(async () => {
  azurite = await startAzurite();
  service = QueueServiceClient.fromConnectionString(azurite.connectionString);
  app = await functionsAppFixture({
    connectionString: azurite.connectionString,
    config: ['target:', `  registry: "${testEnv().registries.anonymous.host}"`, 'images:', `  - source: ${testEnv().registries.anonymous.host}/${uniqueRepo('upstream')}`, '    tags: [a]', `    repository: ${uniqueRepo('base')}`].join('\n'),
  });
});
afterAll(async () => {
  app.cleanup();
  await azurite.stop();
});
beforeEach(async () => {
  for (const q of [...Object.values(QUEUES), ...Object.values(QUEUES).map(poisonOf)]) {
    const client = service.getQueueClient(q);
    await client.createIfNotExists();
    await client.clearMessages();
  }
});

const imageId = () => app.runtime.images[0].id;
const poisonRecords = async () => (await app.runtime.state.list<PoisonRecord>('poison')).map((r) => r.value);
const poisonAudit = async () => (await app.runtime.state.listAudit()).filter((a) => a.stage === 'poison');
const rawPoison = async (queue: string) => (await service.getQueueClient(poisonOf(queue)).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText);

describe('poison', () => {
  it('refuses malformed, unknown-version, misrouted and untracked messages at once: poisoned with the reason, not retried', async () => {
    const validate = service.getQueueClient(QUEUES.validate);
    const sent = [
      'not json at all',
      { v: 2, kind: 'detect', imageId: imageId(), reason: 'x', correlationId: 'c-v2' },
      { v: 1, kind: 'validate', imageId: imageId(), tag: 'a', correlationId: 'c-bad' }, // no digest
      { v: 1, kind: 'detect', imageId: 'docker.io/library/nope→base/nope', reason: 'webhook', correlationId: 'c-untracked' },
      { v: 1, kind: 'validate', imageId: imageId(), tag: 'b', digest: DIGEST, correlationId: 'c-tag' },
      { v: 1, kind: 'promote', imageId: imageId(), tag: 'a', digest: DIGEST, correlationId: 'c-queue' },
    ];
    for (const m of sent) await validate.sendMessage(b64(m));

    const deliveries = await app.host.drain();
    expect(deliveries.map((d) => [d.outcome, d.dequeueCount])).toEqual(sent.map(() => ['completed', 1]));
    expect((await rawPoison(QUEUES.validate)).sort()).toEqual(sent.map(b64).sort());

    const reasons = (await poisonRecords()).filter((r) => r.stage === 'validate').map((r) => [r.status, r.cause, r.reason]);
    expect(reasons).toHaveLength(sent.length);
    for (const pattern of [/not JSON/, /version 2 is not supported/, /digest/, /docker.io\/library\/nope.* is not tracked/, /tag "b" .* is not tracked/, /a promote message does not belong on the validate queue/]) {
      expect(reasons).toContainEqual(['poisoned', 'refused', expect.stringMatching(pattern)]);
    }
    const audit = await poisonAudit();
    expect(audit).toHaveLength(sent.length);
    expect(audit.map((a) => a.correlationId).sort()).toEqual(['c-bad', 'c-queue', 'c-tag', 'c-untracked', 'c-v2', undefined].sort());

    // The watch sees them waiting and records nothing twice.
    await app.runTimer('poisonWatch');
    expect(await poisonAudit()).toHaveLength(sent.length);
    const watched = app.host.logs.filter((l) => l.functionName === 'poisonWatch').map((l) => l.message).pop();
    expect(watched).toContain(`"waiting":{"validate":${sent.length},"promote":0,"rebuild":0}`);
  });

  it('a message failing on every delivery is retried maxDequeueCount times (host.json), then poisoned; the watch records its reason once', async () => {
    const message = newMessage('promote', { imageId: imageId(), tag: 'a', digest: DIGEST, correlationId: 'c-unapproved' });
    await service.getQueueClient(QUEUES.promote).sendMessage(b64(message));

    const deliveries = await app.host.drain();
    const max = app.host.config.maxDequeueCount;
    expect(max).toBe(5);
    expect(deliveries.map((d) => d.outcome)).toEqual([...Array(max - 1).fill('failed'), 'poisoned']);
    expect(deliveries.map((d) => d.dequeueCount)).toEqual(Array.from({ length: max }, (_, i) => i + 1));
    const failing = (await poisonRecords()).find((r) => r.correlationId === 'c-unapproved')!;
    expect(failing).toMatchObject({ status: 'failing', failures: max, reason: expect.stringContaining('NOT_APPROVED') });

    await app.runTimer('poisonWatch');
    await app.runTimer('poisonWatch');
    expect((await poisonRecords()).find((r) => r.correlationId === 'c-unapproved')).toMatchObject({ status: 'poisoned', cause: 'retries', reason: expect.stringContaining('has no approved verdict') });
    const audit = (await poisonAudit()).filter((a) => a.correlationId === 'c-unapproved');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'poisoned', digest: DIGEST, subject: `${app.runtime.images[0].source.withTag('a')}` });
    expect(await peekDecoded(service, poisonOf(QUEUES.promote))).toEqual([message]);
  });

  it('text the host cannot decode goes to poison unread, and the watch says why', async () => {
    await service.getQueueClient(QUEUES.rebuild).sendMessage(JSON.stringify({ v: 1, kind: 'rebuild' }));
    const deliveries = await app.host.drain();
    expect(deliveries.map((d) => d.outcome)).toEqual(['undecodable']);
    expect(app.host.logs.filter((l) => l.functionName === 'rebuild')).toEqual([]);
    await app.runTimer('poisonWatch');
    expect((await poisonRecords()).filter((r) => r.stage === 'rebuild')).toEqual([expect.objectContaining({ status: 'poisoned', reason: expect.stringMatching(/could not decode.*base64/) })]);
  });

  it('replay-poison lists with --dry-run, then moves decodable messages back and records it', async () => {
    const message = newMessage('promote', { imageId: imageId(), tag: 'a', digest: DIGEST, correlationId: 'c-replay' });
    await app.runtime.poison.poison('promote', JSON.stringify(message));
    await service.getQueueClient(poisonOf(QUEUES.validate)).sendMessage('raw {text}');

    const dry = await runCli('replay-poison', '--connection-string', azurite.connectionString, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).messages.map((m: { stage: string; moved: boolean }) => [m.stage, m.moved])).toEqual([
      ['validate', false],
      ['promote', true],
    ]);
    expect(await peekDecoded(service, poisonOf(QUEUES.promote))).toEqual([message]);

    const run = await runCli('replay-poison', '--connection-string', azurite.connectionString, '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^moved promote .* promote .* a sha256:abab/m);
    expect(await peekDecoded(service, QUEUES.promote)).toEqual([message]);
    expect(await rawPoison(QUEUES.promote)).toEqual([]);
    expect(await rawPoison(QUEUES.validate)).toEqual(['raw {text}']);
    expect((await poisonRecords()).find((r) => r.correlationId === 'c-replay')).toMatchObject({ status: 'replayed' });
    expect((await poisonAudit()).filter((a) => a.correlationId === 'c-replay').map((a) => a.outcome)).toEqual(['replayed']);
  });

  it('the watch reads past the 32 messages a peek shows, and leaves them all visible', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => JSON.stringify(newMessage('promote', { imageId: imageId(), tag: 'a', digest: DIGEST, correlationId: `c-many-${i}` })));
    for (const t of texts) await app.runtime.poison.poison('rebuild', t);
    await app.runTimer('poisonWatch');
    const recorded = (await poisonRecords()).filter((r) => r.correlationId?.startsWith('c-many-'));
    expect(recorded).toHaveLength(40);
    expect(recorded.every((r) => r.status === 'poisoned')).toBe(true);
    expect(await app.runtime.poison.list('rebuild')).toHaveLength(40);
    expect((await service.getQueueClient(poisonOf(QUEUES.rebuild)).peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toHaveLength(32);
  });

  it('replay-poison without a connection names the settings it needs', async () => {
    const r = await runCli('replay-poison', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AzureWebJobsStorage');
  });
});
