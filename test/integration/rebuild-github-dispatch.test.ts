/**
 * GitHub repository_dispatch trigger against the GitHub REST API contract fake: the documented
 * request shape, 204 as success, rate limits as delays, bad credentials as failures, and the
 * token never in an error.
 */
import { ConfigError } from '../../functions/errors';
import { GithubDispatchTrigger } from '../../functions/rebuild/github-dispatch-trigger';
import { RebuildTriggerError } from '../../functions/rebuild/rebuild-trigger-error';
import { promotedEvent } from '../helpers/promoted-event';
import { expectNoSecrets, rejectionOf } from '../helpers/secret-leak';
import { startGithubApiFake, type GithubApiFake } from '../servers/github-api-fake';

const TOKEN = 'github_pat_11AAAA-do-not-leak';

const event = promotedEvent('d4', { previousHex: 'e5' });

let github: GithubApiFake;
let ghes: GithubApiFake;

beforeAll(async () => {
  [github, ghes] = await Promise.all([startGithubApiFake({ token: TOKEN }), startGithubApiFake({ token: TOKEN, pathPrefix: '/api/v3' })]);
});
afterEach(() => {
  github.assertDone();
  ghes.assertDone();
});
afterAll(async () => {
  await Promise.all([github?.close(), ghes?.close()]);
});

describe('GitHub repository_dispatch', () => {
  it('sends the documented request once and treats 204 as triggered', async () => {
    const trigger = new GithubDispatchTrigger({ id: 'orders', repository: 'contoso/orders-api', eventType: 'base-image-updated', token: TOKEN, apiUrl: github.apiUrl });
    github.expectDispatch({ repository: 'contoso/orders-api' });

    const outcome = await trigger.trigger(event);

    expect(outcome.status).toBe('triggered');
    expect(outcome.runId).toBeUndefined();
    expect(github.requests).toHaveLength(1);
    const [dispatch] = github.dispatches;
    expect(dispatch.path).toBe('/repos/contoso/orders-api/dispatches');
    expect(dispatch.headers.accept).toBe('application/vnd.github+json');
    expect(dispatch.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(dispatch.headers['x-github-api-version']).toBe('2022-11-28');
    expect(dispatch.headers['user-agent']).toBeTruthy();
    expect(Object.keys(dispatch.body).sort()).toEqual(['client_payload', 'event_type']);
    expect(dispatch.body.event_type).toBe('base-image-updated');
    expect(dispatch.body.client_payload).toEqual(event);
    expect(Object.keys(dispatch.body.client_payload as object).length).toBeLessThanOrEqual(10);
  });

  it('defaults the event type to the event name and reads a token from a function', async () => {
    let calls = 0;
    const trigger = new GithubDispatchTrigger({ id: 'orders', repository: 'contoso/orders-api', token: async () => (calls++, TOKEN), apiUrl: github.apiUrl });
    github.expectDispatch({ repository: 'contoso/orders-api' });
    await trigger.trigger(event);
    expect(github.dispatches[0].body.event_type).toBe('base-image-promoted');
    expect(calls).toBe(1);
  });

  it('speaks to GitHub Enterprise Server under /api/v3', async () => {
    const trigger = new GithubDispatchTrigger({ id: 'ghes', repository: 'platform/base.images', token: TOKEN, apiUrl: `${ghes.apiUrl}/` });
    ghes.expectDispatch({ repository: 'platform/base.images' });
    await trigger.trigger(event);
    expect(ghes.dispatches[0].path).toBe('/api/v3/repos/platform/base.images/dispatches');
  });

  it('reports bad credentials (401) as a permanent error without the token', async () => {
    const wrong = 'ghp_wrongToken-do-not-leak';
    const trigger = new GithubDispatchTrigger({ id: 'orders', repository: 'contoso/orders-api', token: wrong, apiUrl: github.apiUrl });
    github.expectDispatch({ repository: 'contoso/orders-api', badCredentials: true });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect(err).toBeInstanceOf(RebuildTriggerError);
    expect([err.code, err.temporary, err.status, err.kind]).toEqual(['REBUILD_UNAUTHORIZED', false, 401, 'githubDispatch']);
    expect(err.message).toContain('Bad credentials');
    expectNoSecrets(err, [wrong, TOKEN]);
  });

  const resetIn120s = () => String(Math.floor(Date.now() / 1000) + 120);
  it.each([
    ['403 with x-ratelimit-remaining: 0', 'REBUILD_THROTTLED', true, () => ({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn120s() }, body: { message: 'API rate limit exceeded' } }), [118, 121]],
    ['403 secondary rate limit with retry-after', 'REBUILD_THROTTLED', true, () => ({ status: 403, headers: { 'retry-after': '60' }, body: { message: 'You have exceeded a secondary rate limit.' } }), [60, 60]],
    ['403 secondary rate limit without headers', 'REBUILD_THROTTLED', true, () => ({ status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' } }), [60, 60]],
    ['429 with retry-after', 'REBUILD_THROTTLED', true, () => ({ status: 429, headers: { 'retry-after': '30' } }), [30, 30]],
    ['403 without permission', 'REBUILD_UNAUTHORIZED', false, () => ({ status: 403, headers: { 'x-ratelimit-remaining': '4999' }, body: { message: 'Resource not accessible by personal access token' } }), undefined],
    ['404 (no such repository, or no access)', 'REBUILD_REJECTED', false, () => ({ status: 404, body: { message: 'Not Found' } }), undefined],
    ['502', 'REBUILD_UNAVAILABLE', true, () => ({ status: 502 }), undefined],
  ] as const)('maps %s to %s (temporary: %s)', async (_what, code, temporary, reply, retryAfter) => {
    const trigger = new GithubDispatchTrigger({ id: 'orders', repository: 'contoso/orders-api', token: TOKEN, apiUrl: github.apiUrl });
    github.expectDispatch({ repository: 'contoso/orders-api', reply: reply() });
    const err = (await rejectionOf(trigger.trigger(event))) as RebuildTriggerError;
    expect([err.code, err.temporary]).toEqual([code, temporary]);
    if (retryAfter) {
      expect(err.retryAfter).toBeGreaterThanOrEqual(retryAfter[0]);
      expect(err.retryAfter).toBeLessThanOrEqual(retryAfter[1]);
    }
    expect(github.requests).toHaveLength(1);
    expectNoSecrets(err, [TOKEN]);
  });

  it.each([
    [{ repository: 'contoso' }, /owner\/repo/],
    [{ repository: 'contoso/orders-api/extra' }, /owner\/repo/],
    [{ repository: 'contoso/..' }, /owner\/repo/],
    [{ eventType: 'x'.repeat(101) }, /1 to 100/],
    [{ eventType: '' }, /1 to 100/],
    [{ token: '' }, /token is required/],
    [{ apiUrl: 'http://github.example.com/api/v3' }, /plain http/],
  ])('refuses %j at construction', (override, message) => {
    const options = { id: 'x', repository: 'contoso/orders-api', token: TOKEN, apiUrl: github.apiUrl, ...override };
    let err: unknown;
    try {
      new GithubDispatchTrigger(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expectNoSecrets(err, [TOKEN]);
  });
});
