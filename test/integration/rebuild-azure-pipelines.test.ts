/**
 * Azure Pipelines trigger against the Azure DevOps "Runs - Run Pipeline" contract fake: the
 * documented request (path, api-version, Basic :PAT or Bearer, RunPipelineParameters body), the
 * run id returned, the 203 sign-in page as an auth failure, and no credential in any error.
 */
import { ConfigError } from '../../functions/errors';
import { AzurePipelinesTrigger } from '../../functions/rebuild/azure-pipelines-trigger';
import { RebuildTriggerError } from '../../functions/rebuild/rebuild-trigger-error';
import { promotedEvent } from '../helpers/promoted-event';
import { expectNoSecrets, rejectionOf } from '../helpers/secret-leak';
import { startAzureDevOpsFake, type AzureDevOpsFake } from '../servers/azure-devops-fake';

const PAT = 'azdoPat52charsLongAbcdefghijklmnopqrstu-do-not-leak';
const BEARER = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-do-not-leak';
const basic = (pat: string) => Buffer.from(`:${pat}`).toString('base64');

const event = promotedEvent('f6');

const pipeline = { organization: 'contoso', project: 'Web Apps', pipelineId: 42 };
let azdo: AzureDevOpsFake;

beforeAll(async () => {
  azdo = await startAzureDevOpsFake({ ...pipeline, parameters: ['baseImage', 'nodeImage'], pat: PAT, bearer: BEARER });
});
afterEach(() => azdo.assertDone());
afterAll(async () => azdo?.close());

describe('Azure Pipelines run', () => {
  it('queues one run with the pinned target as template parameter and returns its run id', async () => {
    const trigger = new AzurePipelinesTrigger({ id: 'orders', ...pipeline, token: PAT, baseUrl: azdo.url });
    azdo.expectRun();

    const outcome = await trigger.trigger(event);

    expect(azdo.requests).toHaveLength(1);
    const request = azdo.requests[0];
    expect(request.path).toBe('/contoso/Web%20Apps/_apis/pipelines/42/runs');
    expect(request.query.toString()).toBe('api-version=7.1');
    const [run] = azdo.runs;
    expect(run.headers.authorization).toBe(`Basic ${basic(PAT)}`);
    expect(run.headers['content-type']).toBe('application/json');
    expect(run.body).toEqual({ templateParameters: { baseImage: event.target } });
    expect(outcome).toEqual({ status: 'triggered', runId: String(run.runId), detail: `${azdo.url}/contoso/Web Apps/_build/results?buildId=${run.runId}` });
  });

  it('sends a Bearer token, a custom parameter name and a branch as resources.repositories.self.refName', async () => {
    const trigger = new AzurePipelinesTrigger({ id: 'orders', ...pipeline, token: async () => BEARER, tokenType: 'bearer', parameter: 'nodeImage', branch: 'release/2026', baseUrl: azdo.url });
    azdo.expectRun();
    azdo.expectRun();

    const first = await trigger.trigger(event);
    const second = await trigger.trigger(event);

    expect(azdo.runs[0].headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(azdo.runs[0].body).toEqual({
      templateParameters: { nodeImage: event.target },
      resources: { repositories: { self: { refName: 'refs/heads/release/2026' } } },
    });
    expect(first.runId).toBe(String(azdo.runs[0].runId));
    expect(second.runId).toBe(String(azdo.runs[1].runId));
    expect(second.runId).not.toBe(first.runId);
  });

  it('reports the 203 sign-in page of a bad PAT as a permanent auth error, without the PAT in any form', async () => {
    const wrong = 'wrongPat-do-not-leak-0123456789';
    const trigger = new AzurePipelinesTrigger({ id: 'orders', ...pipeline, token: wrong, baseUrl: azdo.url });
    azdo.expectRun({ badCredentials: true });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect(err).toBeInstanceOf(RebuildTriggerError);
    expect([err.code, err.temporary, err.status, err.kind]).toEqual(['REBUILD_UNAUTHORIZED', false, 203, 'azurePipelines']);
    expectNoSecrets(err, [wrong, basic(wrong), PAT]);
  });

  it.each([
    ['a 200 without a run id', 'REBUILD_BAD_RESPONSE', false, { status: 200, body: { state: 'inProgress' } }],
    ['a 200 that is not JSON', 'REBUILD_BAD_RESPONSE', false, { status: 200, body: '<html>proxy</html>', headers: { 'content-type': 'text/html' } }],
    ['503', 'REBUILD_UNAVAILABLE', true, { status: 503, headers: { 'retry-after': '12' } }],
    ['429', 'REBUILD_THROTTLED', true, { status: 429, headers: { 'retry-after': '5' } }],
    ['400 with an echoed credential', 'REBUILD_REJECTED', false, { status: 400, body: { message: `Unexpected parameter; auth was Basic ${basic(PAT)}` } }],
  ])('maps %s to %s (temporary: %s) without the credential', async (_what, code, temporary, reply) => {
    const trigger = new AzurePipelinesTrigger({ id: 'orders', ...pipeline, token: PAT, baseUrl: azdo.url });
    azdo.expectRun({ reply });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect([err.code, err.temporary]).toEqual([code, temporary]);
    expect(azdo.requests).toHaveLength(1);
    expectNoSecrets(err, [PAT, basic(PAT)]);
  });

  it.each([
    [{ pipelineId: 0 }, /pipelineId/],
    [{ pipelineId: 4.2 }, /pipelineId/],
    [{ organization: 'contoso/evil' }, /organization/],
    [{ project: ' ' }, /project/],
    [{ parameter: 'base image' }, /parameter/],
    [{ tokenType: 'basic' as 'pat' }, /tokenType/],
    [{ token: '' }, /token is required/],
    [{ baseUrl: 'http://tfs.example.com/tfs' }, /plain http/],
  ])('refuses %j at construction', (override, message) => {
    let err: unknown;
    try {
      new AzurePipelinesTrigger({ id: 'x', ...pipeline, token: PAT, baseUrl: azdo.url, ...override });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expectNoSecrets(err, [PAT]);
  });
});
