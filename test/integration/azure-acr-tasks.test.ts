/**
 * ACR Tasks through the real `@azure/arm-containerregistry` client against the ARM contract fake:
 * scheduleRun for an existing task (TaskRunRequest) and an encoded task (EncodedTaskRunRequest)
 * with their request bodies schema-checked and compared, runs followed to a terminal status,
 * log links read, and task discovery by base-image dependency with and without ACR's own
 * base-image trigger.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { parseAcrResourceId } from '../../functions/azure/acr-resource-id';
import { discoverDependentTasks } from '../../functions/azure/acr-task-discovery';
import { runAcrTask, runRequestBody, scheduleAcrTask } from '../../functions/azure/acr-tasks';
import { createArmClient } from '../../functions/azure/arm-client';
import { ArmClients } from '../../functions/azure/arm-clients';
import { AcrDiscoverRebuildTrigger } from '../../functions/azure/acr-discover-rebuild-trigger';
import { promotedEvent } from '../helpers/promoted-event';
import { staticCredential } from '../helpers/static-credential';
import { ArmContractFake } from '../servers/arm-contract-fake';
import { jsonBody } from '../servers/https-contract-server';
import { testEnv } from '../servers/test-env';

const SUBSCRIPTION = '99999999-8888-7777-6666-555555555555';
const BASE = 'contosobase.azurecr.io';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('ACR Tasks against the ARM contract fake', () => {
  let fake: ArmContractFake;
  let client: ContainerRegistryManagementClient;
  let appRegistry: string;

  beforeAll(async () => {
    fake = await ArmContractFake.start({ taskPageSize: 2 });
    appRegistry = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-apps', name: 'contosoapps', storage: { host: testEnv().registries.anonymous.host } });
    fake.addTask(appRegistry, { name: 'validate-base', baseImageDependencies: [] });
    fake.addTask(appRegistry, { name: 'build-orders-api', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine', digest: DIGEST }], baseImageTrigger: { status: 'Enabled' } });
    fake.addTask(appRegistry, { name: 'build-billing', baseImageDependencies: [{ registry: BASE.toUpperCase(), repository: 'base/node', tag: '20-alpine' }], baseImageTrigger: { status: 'Disabled' } });
    fake.addTask(appRegistry, { name: 'build-reports', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '22-alpine' }] });
    fake.addTask(appRegistry, { name: 'build-python-app', baseImageDependencies: [{ registry: BASE, repository: 'base/python', tag: '3.12' }], baseImageTrigger: {} });
    fake.addTask(appRegistry, { name: 'build-pinned', baseImageDependencies: [{ registry: BASE, repository: 'base/node', digest: DIGEST }] });
    fake.addTask(appRegistry, { name: 'build-retired', status: 'Disabled', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine' }], baseImageTrigger: {} });
    fake.addTask(appRegistry, { name: 'build-elsewhere', baseImageDependencies: [{ registry: 'docker.io', repository: 'base/node', tag: '20-alpine' }] });
    client = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca });
  });

  afterEach(() => fake.assertDone());
  afterAll(() => fake.close());

  it('runs an existing task with override arguments and follows it to Succeeded', async () => {
    fake.expectRun({ statuses: ['Running', 'Running', 'Succeeded'] });
    const image = `${BASE}/base/node@${DIGEST}`;

    const result = await runAcrTask(client, { registryResourceId: appRegistry, taskName: 'build-orders-api', arguments: { BASE_IMAGE: image, TOKEN: { value: 's3cret', secret: true } } }, { pollIntervalMs: 10 });

    expect(result).toMatchObject({ status: 'Succeeded', finished: true });
    expect(result.runId).toMatch(/^cb/);
    expect(result.logLink).toMatch(new RegExp(`^${fake.endpoint}/logs/${result.runId}/`));
    expect(fake.runRequests.at(-1)!.body).toEqual({
      type: 'TaskRunRequest',
      taskId: `${appRegistry}/tasks/build-orders-api`,
      overrideTaskStepProperties: {
        arguments: [
          { name: 'BASE_IMAGE', value: image, isSecret: false },
          { name: 'TOKEN', value: 's3cret', isSecret: true },
        ],
      },
    });
    const gets = fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/runs/${result.runId}`));
    expect(gets).toHaveLength(3);
    expect(gets.every((r) => r.query.get('api-version') === '2019-06-01-preview')).toBe(true);
  });

  it('runs an encoded multi-step task with values and reports a failed run with its error message', async () => {
    fake.expectRun({ statuses: ['Queued', 'Running', 'Failed'], runErrorMessage: 'step test exited with 1', inProgressPolls: 2 });
    const yaml = ['version: v1.1.0', 'steps:', '  - build: -t validate:{{.Run.ID}} --build-arg IMAGE={{.Values.IMAGE}} .', '  - cmd: validate:{{.Run.ID}} ./run-tests.sh'].join('\n');
    const image = `${BASE}/base/node@${DIGEST}`;

    const result = await runAcrTask(client, { registryResourceId: appRegistry, encodedTaskYaml: yaml, values: { IMAGE: image }, runTimeoutSeconds: 600 }, { pollIntervalMs: 10 });

    expect(result).toMatchObject({ status: 'Failed', finished: true, runErrorMessage: 'step test exited with 1' });
    const body = fake.runRequests.at(-1)!.body;
    expect(body).toEqual({
      type: 'EncodedTaskRunRequest',
      encodedTaskContent: Buffer.from(yaml).toString('base64'),
      platform: { os: 'Linux', architecture: 'amd64' },
      values: [{ name: 'IMAGE', value: image, isSecret: false }],
      timeout: 600,
    });
  });

  it('schedules without waiting (the acrTask dependent records the run id)', async () => {
    fake.expectRun({ synchronous: true });
    const before = fake.requests.length;
    const run = await scheduleAcrTask(client, { registryResourceId: appRegistry, taskName: 'build-billing', arguments: { BASE_IMAGE: `${BASE}/base/node@${DIGEST}` } });
    expect(run).toEqual({ runId: expect.stringMatching(/^cb/), status: 'Queued' });
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path.split('/').pop()}`)).toEqual(['POST scheduleRun']);
  });

  it('stops waiting at its deadline and says the run has not finished', async () => {
    fake.expectRun({ statuses: ['Running'] });
    const result = await runAcrTask(client, { registryResourceId: appRegistry, taskName: 'validate-base', values: { IMAGE: 'x' } }, { timeoutMs: 150, pollIntervalMs: 20 });
    expect(result).toMatchObject({ status: 'Running', finished: false });
    expect(result.logLink).toBeUndefined();
  });

  it('reports a task that does not exist as ARM_NOT_FOUND', async () => {
    fake.expectRun();
    await expect(scheduleAcrTask(client, { registryResourceId: appRegistry, taskName: 'no-such-task' })).rejects.toMatchObject({ code: 'ARM_NOT_FOUND', status: 404 });
  });

  it('refuses contradictory run requests before calling ARM', () => {
    const registry = parseAcrResourceId(appRegistry);
    expect(() => runRequestBody(registry, { registryResourceId: registry })).toThrow(expect.objectContaining({ code: 'ACR_TASK_REQUEST_INVALID' }));
    expect(() => runRequestBody(registry, { registryResourceId: registry, taskName: 'build-billing', encodedTaskYaml: 'version: v1.1.0' })).toThrow(expect.objectContaining({ code: 'ACR_TASK_REQUEST_INVALID' }));
    expect(() => runRequestBody(registry, { registryResourceId: registry, encodedTaskYaml: 'version: v1.1.0', arguments: { A: 'b' } })).toThrow(expect.objectContaining({ code: 'ACR_TASK_REQUEST_INVALID' }));
    expect(() => runRequestBody(registry, { registryResourceId: registry, encodedTaskYaml: 'steps: []', runTimeoutSeconds: 60 })).toThrow(expect.objectContaining({ code: 'ACR_TASK_REQUEST_INVALID' }));
  });

  it('discovers the tasks built on base/node:20-alpine across pages, with and without their own base-image trigger', async () => {
    const found = await discoverDependentTasks(client, appRegistry, { registry: BASE, repository: 'base/node', tag: '20-alpine' });
    expect(found.map((t) => [t.name, t.enabled, t.baseImageTriggerEnabled])).toEqual([
      ['build-orders-api', true, true],
      ['build-billing', true, false],
      ['build-retired', false, false],
    ]);
    expect(found[0]).toMatchObject({ taskId: `${appRegistry}/tasks/build-orders-api`, dependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine', digest: DIGEST, type: 'BuildTime' }] });
    // Eight tasks at two per page: four GETs, the later ones through nextLink.
    const lists = fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/tasks'));
    expect(lists.length).toBeGreaterThanOrEqual(4);

    const anyTag = await discoverDependentTasks(client, appRegistry, { registry: `https://${BASE}/`, repository: 'base/node' });
    expect(anyTag.map((t) => t.name)).toEqual(['build-orders-api', 'build-billing', 'build-reports', 'build-retired']);
  });
});

describe('the discover: dependent against the ARM contract fake', () => {
  let fake: ArmContractFake;
  let appRegistry: string;
  let arm: ArmClients;
  const event = promotedEvent('ab', { registry: BASE });

  beforeAll(async () => {
    fake = await ArmContractFake.start();
    appRegistry = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-apps', name: 'contosoapps', storage: { host: testEnv().registries.anonymous.host } });
    fake.addTask(appRegistry, { name: 'build-orders-api', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine' }], baseImageTrigger: { status: 'Enabled' } });
    fake.addTask(appRegistry, { name: 'build-billing', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine' }], baseImageTrigger: { status: 'Disabled' } });
    fake.addTask(appRegistry, { name: 'build-retired', status: 'Disabled', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '20-alpine' }] });
    fake.addTask(appRegistry, { name: 'build-reports', baseImageDependencies: [{ registry: BASE, repository: 'base/node', tag: '22-alpine' }] });
    arm = new ArmClients(() => staticCredential(fake.token), { endpoint: fake.endpoint, trustedCa: fake.ca });
  });

  afterEach(() => fake.assertDone());
  afterAll(() => fake.close());

  const scheduledTasks = (from: number) => fake.requests.slice(from).filter((r) => r.path.endsWith('/scheduleRun')).map((r) => (jsonBody(r) as { taskId: string }).taskId.split('/').pop());

  it('auto: schedules the enabled tasks built on the promoted tag, leaving to ACR those with their own base-image trigger', async () => {
    fake.expectRun({ synchronous: true });
    const before = fake.requests.length;
    const outcome = await new AcrDiscoverRebuildTrigger(arm, { kind: 'discover', id: 'discover:apps', registry: appRegistry, schedule: 'auto' }).trigger(event);
    expect(scheduledTasks(before)).toEqual(['build-billing']);
    expect(outcome).toMatchObject({ status: 'triggered', runId: expect.stringMatching(/^cb/) });
    expect(outcome.detail).toMatch(/build-orders-api \(its own base-image trigger builds it\)/);
    expect(outcome.detail).toMatch(/build-retired \(disabled\)/);
  });

  it('always: schedules every enabled task, its own trigger or not', async () => {
    fake.expectRun({ synchronous: true });
    fake.expectRun({ synchronous: true });
    const before = fake.requests.length;
    const outcome = await new AcrDiscoverRebuildTrigger(arm, { kind: 'discover', id: 'discover:apps', registry: appRegistry, schedule: 'always' }).trigger(event);
    expect(scheduledTasks(before)).toEqual(['build-orders-api', 'build-billing']);
    expect(outcome.runId?.split(',')).toHaveLength(2);
  });

  it('a tag no task builds on is skipped, and nothing is scheduled', async () => {
    const before = fake.requests.length;
    const outcome = await new AcrDiscoverRebuildTrigger(arm, { kind: 'discover', id: 'discover:apps', registry: appRegistry, schedule: 'auto' }).trigger({ ...event, tag: '18-alpine' });
    expect(outcome).toMatchObject({ status: 'skipped', detail: expect.stringContaining('no task in registry contosoapps builds on base/node:18-alpine') });
    expect(scheduledTasks(before)).toEqual([]);
  });
});
