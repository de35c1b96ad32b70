/**
 * The acrTask gate through the real validate stage and the real runner (`runAcrTask` with the
 * real `@azure/arm-containerregistry` client) against the ARM contract fake: Succeeded →
 * approved; Failed / Canceled / Error / Timeout → rejected with the run id; ARM refusing the
 * run, or the run outliving basegate's wait → pending. Run id and (redacted) log link are audited.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAcrTask } from '../../functions/azure/acr-tasks';
import { createArmClient } from '../../functions/azure/arm-client';
import { acrTaskGate, type AcrTaskRunner } from '../../functions/gates/acr-task';
import { gateHarness, gateResult, seed, tracked, validate, validateAudit, type GateHarness, type Seeded } from '../helpers/gate-fixture';
import { staticCredential } from '../helpers/static-credential';
import { ArmContractFake } from '../servers/arm-contract-fake';

const SUBSCRIPTION = '12345678-1234-1234-1234-123456789abc';

let h: GateHarness;
let fake: ArmContractFake;
let client: ContainerRegistryManagementClient;
let appRegistry: string;
let dir: string;
let s: Seeded;
/** The runner the composition root wires: the real runAcrTask on the client, polling fast for the test. */
const runner: AcrTaskRunner = (request, options) => runAcrTask(client, request, { ...options, pollIntervalMs: 20 });

beforeAll(async () => {
  h = await gateHarness();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gates-acr-'));
  fake = await ArmContractFake.start();
  appRegistry = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-apps', name: 'contosoapps', storage: h.target });
  fake.addTask(appRegistry, { name: 'validate-base' });
  client = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca, retry: { maxRetries: 0 } });
  s = await seed(h, { seed: 'acr-task' });
});
afterEach(() => fake.assertDone());
afterAll(async () => {
  await fake.close();
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('acrTask gate', () => {
  it('approves when the run of an existing task Succeeded, passing the pinned image, and audits run id and redacted log link', async () => {
    fake.expectRun({ statuses: ['Running', 'Succeeded'] });
    const verdict = await validate(h, tracked(s, { fingerprint: 'task-ok' }), s, [acrTaskGate({ registry: appRegistry, task: 'validate-base', argument: 'BASE_IMAGE' }, runner)]);
    expect(verdict.outcome).toBe('approved');
    const image = `${h.target.host}/${s.repo}@${s.digest}`;
    expect(fake.runRequests.at(-1)!.body).toEqual({
      type: 'TaskRunRequest',
      taskId: `${appRegistry}/tasks/validate-base`,
      overrideTaskStepProperties: { arguments: [{ name: 'BASE_IMAGE', value: image, isSecret: false }], values: [{ name: 'BASE_IMAGE', value: image, isSecret: false }] },
    });
    const detail = gateResult(verdict, 'acrTask').detail as { runId: string; status: string; logLink: string };
    expect(detail.runId).toMatch(/^cb/);
    expect(detail.status).toBe('Succeeded');
    expect(detail.logLink).toContain(`/logs/${detail.runId}/rawtext.log`);
    expect(detail.logLink).toContain('sig=REDACTED');
    expect(detail.logLink).not.toContain('sig=FAKE');
    const audit = await validateAudit(h, s);
    expect(JSON.stringify(audit.at(-1)!.detail)).toContain(detail.runId);
  });

  it('rejects with the run id and ACR\'s message when an encoded task run Failed', async () => {
    const file = path.join(dir, 'validate.yaml');
    fs.writeFileSync(file, 'version: v1.1.0\nsteps:\n  - cmd: "{{.Values.IMAGE}} /run-tests.sh"\n');
    fake.expectRun({ statuses: ['Running', 'Failed'], runErrorMessage: 'step 0 exited 1' });
    const verdict = await validate(h, tracked(s, { fingerprint: 'encoded-fail' }), s, [acrTaskGate({ registry: appRegistry, encodedTask: file, timeout: 10 * 60_000 }, runner)]);
    expect(verdict.outcome).toBe('rejected');
    const result = gateResult(verdict, 'acrTask');
    const runId = (result.detail as { runId: string }).runId;
    expect(result.reasons).toEqual([`ACR task run ${runId} ended Failed: step 0 exited 1`]);
    const body = fake.runRequests.at(-1)!.body as { type: string; encodedTaskContent: string; values: unknown; timeout: number };
    expect(body.type).toBe('EncodedTaskRunRequest');
    expect(Buffer.from(body.encodedTaskContent, 'base64').toString()).toBe(fs.readFileSync(file, 'utf8'));
    expect(body.values).toEqual([{ name: 'IMAGE', value: `${h.target.host}/${s.repo}@${s.digest}`, isSecret: false }]);
    expect(body.timeout).toBe(600);
  });

  it.each(['Canceled', 'Error', 'Timeout'] as const)('rejects a run that ended %s', async (status) => {
    fake.expectRun({ statuses: [status] });
    const verdict = await validate(h, tracked(s, { fingerprint: `ended-${status}` }), s, [acrTaskGate({ registry: appRegistry, task: 'validate-base' }, runner)]);
    expect(verdict.outcome).toBe('rejected');
    expect(gateResult(verdict, 'acrTask').reasons[0]).toMatch(new RegExp(`^ACR task run cb\\w+ of task validate-base ended ${status}$`));
  });

  it('is pending when ARM refuses to schedule the run', async () => {
    fake.expectRun();
    const verdict = await validate(h, tracked(s, { fingerprint: 'missing-task' }), s, [acrTaskGate({ registry: appRegistry, task: 'no-such-task' }, runner)]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'acrTask').reasons[0]).toMatch(/^gate errored, will retry: .*no-such-task/);
  });

  it('is pending when the run is still going at the end of basegate\'s wait', async () => {
    fake.expectRun({ statuses: ['Running'] });
    const verdict = await validate(h, tracked(s, { fingerprint: 'still-running' }), s, [acrTaskGate({ registry: appRegistry, task: 'validate-base', timeout: 150 }, runner)]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'acrTask').reasons[0]).toMatch(/^ACR task run cb\w+ of task validate-base is still Running, will check again$/);
  });

  it('is pending when the encoded task file cannot be read (no run scheduled)', async () => {
    const verdict = await validate(h, tracked(s, { fingerprint: 'no-file' }), s, [acrTaskGate({ registry: appRegistry, encodedTask: path.join(dir, 'absent.yaml') }, runner)]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'acrTask').reasons[0]).toMatch(/ENOENT/);
  });
});
