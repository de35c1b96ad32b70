/**
 * Approvals bound to a real identity (issue #15), over the composed Functions app (Azurite tables
 * and queues, a real docker-registry): the HTTP routes registered by functions/app.ts's code are
 * served by the loopback stand-in of the host's front end (function keys enforced), behind a
 * stand-in of App Service authentication configured as infra/modules/api-auth.bicep configures
 * it (its excludedPaths are read from that file). The stand-in accepts the tokens the test issued
 * and injects the X-MS-CLIENT-PRINCIPAL header in the platform's documented shape
 * (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#decode-the-client-principal-header);
 * registered handlers are also called directly to show what the app itself refuses.
 */
import * as path from 'node:path';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { AuditRecord } from '../../functions/pipeline/ports';
import { digestKey, type Approval, type Verdict } from '../../functions/pipeline/records';
import { bodyObject, code, property, readBicep } from '../helpers/bicep-reader';
import { functionsAppFixture, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { startFunctionsHttpHost, type FunctionsHttpHost } from '../helpers/functions-http-host';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

const CLIENT_ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const registry = () => ({ host: testEnv().registries.anonymous.host });

/** The principal header as the platform builds it for an Entra ID token (claims after its default mapping). */
function principalHeader(p: { oid: string; name: string; roles: string[]; aud?: string }): string {
  const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
  const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
  const claims = [
    { typ: 'aud', val: p.aud ?? `api://${CLIENT_ID}` },
    { typ: 'iss', val: 'https://login.microsoftonline.com/72f988bf-0000-0000-0000-000000000000/v2.0' },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: p.oid },
    { typ: NAME, val: p.name },
    ...p.roles.map((val) => ({ typ: ROLE, val })),
  ];
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: NAME, role_typ: ROLE })).toString('base64');
}

const PEOPLE = {
  alice: { oid: 'a11ce000-0000-4000-8000-000000000001', name: 'alice@contoso.com', roles: ['basegate.approver'] },
  bob: { oid: 'b0b00000-0000-4000-8000-000000000002', name: 'bob@contoso.com', roles: ['basegate.approver'] },
  rita: { oid: '0r17a000-0000-4000-8000-000000000003', name: 'rita@contoso.com', roles: ['basegate.reader'] },
  other: { oid: '07e40000-0000-4000-8000-000000000004', name: 'eve@contoso.com', roles: ['basegate.approver'], aud: 'api://another-app' },
};

/** The webhook paths the Bicep excludes from App Service authentication. */
function excludedPaths(): string[] {
  const file = readBicep(path.resolve(__dirname, '../../infra/modules/api-auth.bicep'));
  const auth = file.declarations.find((d) => d.kind === 'resource' && d.name === 'auth')!;
  const entry = property(bodyObject(auth)!.object, ['properties', 'globalValidation', 'excludedPaths'])!;
  return code(entry.valueTokens).flatMap((t) => (t.kind === 'string' && t.value !== undefined ? [t.value] : []));
}

interface Held {
  app: FunctionsAppFixture;
  gated: { id: string; digest: string; repo: string; targetRepo: string };
  ungated: { id: string; digest: string };
}

/** An app with one image held by the approval gate and one promoted without gates, both through the real pipeline. */
async function heldApp(env: Record<string, string>): Promise<Held> {
  const [repo, targetRepo, plainRepo] = [uniqueRepo('appr-up'), uniqueRepo('appr-base'), uniqueRepo('appr-plain')];
  const gatedImage = synthImage({ seed: `${repo}-gated` });
  const plainImage = synthImage({ seed: `${plainRepo}-plain` });
  await pushImage(registry(), repo, ['v1'], gatedImage);
  await pushImage(registry(), plainRepo, ['v1'], plainImage);
  const app = await functionsAppFixture({
    env,
    config: [
      `target: { registry: "${registry().host}" }`,
      'images:',
      `  - source: ${registry().host}/${repo}`,
      '    tags: [v1]',
      `    repository: ${targetRepo}`,
      '    gates: { approval: manual }',
      `  - source: ${registry().host}/${plainRepo}`,
      '    tags: [v1]',
      `    repository: ${uniqueRepo('appr-plain-base')}`,
    ].join('\n'),
  });
  await app.runTimer('detect');
  await app.host.drain();
  const [gatedId, plainId] = app.runtime.images.map((i) => i.id);
  const verdict = await app.runtime.state.get<Verdict>('verdict', digestKey(gatedId, gatedImage.digest));
  expect(verdict?.value).toMatchObject({ outcome: 'pending', gates: [expect.objectContaining({ gate: 'approval', outcome: 'pending' }), expect.objectContaining({ gate: 'closure', outcome: 'pass' })] });
  return { app, gated: { id: gatedId, digest: gatedImage.digest, repo, targetRepo }, ungated: { id: plainId, digest: plainImage.digest } };
}

const approvalPath = (imageId: string, digest: string) => `/api/approvals/${encodeURIComponent(digestKey(imageId, digest))}`;

describe('with the API behind Entra ID (BASEGATE_API_CLIENT_ID set)', () => {
  let held: Held;
  let host: FunctionsHttpHost;
  const tokens = Object.fromEntries(Object.entries(PEOPLE).map(([who, p]) => [`token-${who}`, { principal: principalHeader(p), name: p.name }]));
  const as = (who: keyof typeof PEOPLE | undefined, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${host.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(who ? { authorization: `Bearer token-${who}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const direct = async (name: string, req: HttpRequest): Promise<HttpResponseInit> => held.app.recorder.http.get(name)!.handler(req, new InvocationContext({ logHandler: () => undefined })) as Promise<HttpResponseInit>;
  const approvalAudit = async () => (await held.app.runtime.state.listAudit()).filter((a: AuditRecord) => a.stage === 'approval');

  beforeAll(async () => {
    held = await heldApp({ BASEGATE_API_CLIENT_ID: CLIENT_ID });
    host = await startFunctionsHttpHost(held.app.recorder, { easyAuth: { tokens, excludedPaths: excludedPaths() } });
  });
  afterAll(async () => {
    await host?.close();
    held?.app.cleanup();
  });

  it('no principal → 401: at the platform without a token, and in the app when a request reaches it without one', async () => {
    const { gated } = held;
    expect((await as(undefined, 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve' })).status).toBe(401);
    // A principal header a client forges is removed by the platform: still no principal.
    const forged = await as(undefined, 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve' }, { 'x-ms-client-principal': principalHeader(PEOPLE.alice) });
    expect(forged.status).toBe(401);
    // Behind the platform the route is anonymous: the app's own check is what stands between a caller and a decision.
    const req = new HttpRequest({ method: 'POST', url: `https://x${approvalPath(gated.id, gated.digest)}`, body: { string: '{"decision":"approve"}' }, params: { id: encodeURIComponent(digestKey(gated.id, gated.digest)) } });
    expect(await direct('approvalDecision', req)).toMatchObject({ status: 401, jsonBody: { code: 'AUTH_REQUIRED' } });
    expect(await held.app.runtime.state.get('approval', digestKey(gated.id, gated.digest))).toBeUndefined();
  });

  it('a principal without the approver role → 403; a reader still reads the status; a token for another app → 401', async () => {
    const { gated } = held;
    const reader = await as('rita', 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve' });
    expect(reader.status).toBe(403);
    expect(await reader.json()).toMatchObject({ code: 'ROLE_REQUIRED', error: expect.stringContaining('basegate.approver') });
    const status = await as('rita', 'GET', '/api/status');
    expect(status.status).toBe(200);
    expect(((await status.json()) as { pendingApprovals: unknown }).pendingApprovals).toEqual([expect.objectContaining({ id: digestKey(gated.id, gated.digest), decision: null })]);
    const wrongAudience = await as('other', 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve' });
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.json()).toMatchObject({ code: 'AUTH_AUDIENCE_WRONG' });
    // Forcing a detect moves work upstream: approvers only.
    expect((await as('rita', 'POST', `/api/images/${encodeURIComponent(gated.id)}/check`)).status).toBe(403);
  });

  it('a body `by` → 400, and nothing is recorded', async () => {
    const { gated } = held;
    const res = await as('alice', 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve', by: 'ciso@contoso.com' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'APPROVAL_BY_REFUSED', error: expect.stringContaining('alice@contoso.com') });
    expect(await held.app.runtime.state.get('approval', digestKey(gated.id, gated.digest))).toBeUndefined();
  });

  it('two concurrent approvals of one digest → one recorded; the audit holds the principal id; the digest is promoted once', async () => {
    const { app, gated } = held;
    const [a, b] = await Promise.all([
      as('alice', 'POST', approvalPath(gated.id, gated.digest), { decision: 'approve', reason: 'scanned' }),
      as('bob', 'POST', approvalPath(gated.id, gated.digest), { decision: 'reject', reason: 'not yet' }),
    ]);
    const answers = [{ who: PEOPLE.alice, res: a, body: (await a.json()) as Record<string, unknown> }, { who: PEOPLE.bob, res: b, body: (await b.json()) as Record<string, unknown> }];
    expect(answers.map((x) => x.res.status).sort()).toEqual([200, 409]);
    const winner = answers.find((x) => x.res.status === 200)!;
    const loser = answers.find((x) => x.res.status === 409)!;
    expect(loser.body).toMatchObject({ code: 'APPROVAL_ALREADY_DECIDED', error: expect.stringContaining(`by ${winner.who.name}`) });

    const record = (await app.runtime.state.get<Approval>('approval', digestKey(gated.id, gated.digest)))!.value;
    expect(record).toMatchObject({ by: winner.who.name, byId: winner.who.oid, via: 'entra' });
    const audit = await approvalAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ digest: gated.digest, outcome: record.decision, detail: expect.objectContaining({ byId: winner.who.oid, by: winner.who.name }) });

    // The re-validation the decision asked for acts on it.
    await app.host.drain();
    const verdict = (await app.runtime.state.get<Verdict>('verdict', digestKey(gated.id, gated.digest)))!.value;
    expect(verdict.outcome).toBe(record.decision);
    expect((await rawGetManifest(registry(), gated.targetRepo, 'v1'))?.digest).toBe(record.decision === 'approved' ? gated.digest : undefined);
  });

  it('approving a digest no approval gate holds → refused, and nothing is recorded', async () => {
    const { ungated, gated } = held;
    const notHeld = await as('alice', 'POST', approvalPath(ungated.id, ungated.digest), { decision: 'approve' });
    expect(notHeld.status).toBe(409);
    expect(await notHeld.json()).toMatchObject({ code: 'APPROVAL_NOT_HELD', error: expect.stringContaining('already approved') });
    const never = await as('alice', 'POST', approvalPath(gated.id, `sha256:${'e'.repeat(64)}`), { decision: 'approve' });
    expect(never.status).toBe(404);
    expect(await never.json()).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
    expect(await held.app.runtime.state.get('approval', digestKey(ungated.id, ungated.digest))).toBeUndefined();
    expect(await approvalAudit()).toHaveLength(1);
  });

  it('webhook paths are excluded from authentication and keep their function key', async () => {
    const hook = (key?: string) => fetch(`${host.url}/api/webhooks/generic${key ? `?code=${key}` : ''}`, { method: 'POST', body: '{}' });
    expect((await hook()).status).toBe(401); // the host: no function key
    const res = await hook(host.functionKeys.webhookGeneric);
    // The app answered (no Entra token was needed): its own refusal for the missing signature.
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'WEBHOOK_SECRET_NOT_CONFIGURED' });
  });
});

describe('with no client id configured', () => {
  let held: Held;
  let host: FunctionsHttpHost;

  beforeAll(async () => {
    held = await heldApp({});
    host = await startFunctionsHttpHost(held.app.recorder);
  });
  afterAll(async () => {
    await host?.close();
    held?.app.cleanup();
  });

  it('approvals answer 503 AUTH_NOT_CONFIGURED, even to a forged principal; status stays behind a function key', async () => {
    const { gated } = held;
    const res = await fetch(`${host.url}${approvalPath(gated.id, gated.digest)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': principalHeader(PEOPLE.alice) },
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'AUTH_NOT_CONFIGURED', error: expect.stringContaining('BASEGATE_API_CLIENT_ID') });
    expect(await held.app.runtime.state.get('approval', digestKey(gated.id, gated.digest))).toBeUndefined();

    expect((await fetch(`${host.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/status`, { headers: { 'x-ms-client-principal': principalHeader(PEOPLE.rita) } })).status).toBe(401);
    expect((await fetch(`${host.url}/api/status?code=${host.functionKeys.status}`)).status).toBe(200);
  });
});
