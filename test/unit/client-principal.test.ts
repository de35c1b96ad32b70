/**
 * Reading App Service authentication's X-MS-CLIENT-PRINCIPAL (issue #15): the documented shape
 * (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#decode-the-client-principal-header),
 * short and mapped claim names, and a 401 for anything else; and the role and audience checks.
 */
import { HttpRequest } from '@azure/functions';
import { authorize } from '../../functions/handlers/http/api-auth';
import { readClientPrincipal } from '../../functions/handlers/http/client-principal';
import { RequestRejected } from '../../functions/webhooks/request-rejected';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof RequestRejected ? { status: err.status, code: err.code, message: err.message } : err;
  }
  return undefined;
};

describe('readClientPrincipal', () => {
  it('reads the mapped claim names the platform produces', () => {
    const header = b64({
      auth_typ: 'aad',
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'aud', val: 'api://x' },
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-1' },
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: 'Alice' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'basegate.approver' },
      ],
    });
    expect(readClientPrincipal(header)).toEqual({ objectId: 'oid-1', name: 'Alice', roles: ['basegate.approver'], audiences: ['api://x'] });
  });

  it('reads the short names, and an application caller by its appid', () => {
    const header = b64({ auth_typ: 'aad', claims: [{ typ: 'oid', val: 'sp-1' }, { typ: 'appid', val: 'pipeline-app' }, { typ: 'roles', val: 'basegate.reader' }, { typ: 'aud', val: 'x' }] });
    expect(readClientPrincipal(header)).toEqual({ objectId: 'sp-1', name: 'pipeline-app', roles: ['basegate.reader'], audiences: ['x'] });
    expect(readClientPrincipal(null)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'not-json!', /not base64-encoded JSON/],
    ['another shape', b64({ user: 'alice' }), /does not have the principal shape/],
    ['another identity provider', b64({ auth_typ: 'github', claims: [{ typ: 'oid', val: 'x' }] }), /not Entra ID/],
    ['no object id', b64({ auth_typ: 'aad', claims: [{ typ: 'name', val: 'Alice' }] }), /no object id/],
    ['an oversized header', 'A'.repeat(40_000), /characters long/],
  ])('refuses %s with 401 AUTH_PRINCIPAL_INVALID', (_what, header, message) => {
    expect(refusal(() => readClientPrincipal(header))).toMatchObject({ status: 401, code: 'AUTH_PRINCIPAL_INVALID', message: expect.stringMatching(message) });
  });
});

describe('authorize', () => {
  const auth = { mode: 'entra', clientId: 'c1' } as const;
  const req = (claims: Array<{ typ: string; val: string }>) => new HttpRequest({ method: 'GET', url: 'https://x/api/status', headers: { 'x-ms-client-principal': b64({ auth_typ: 'aad', claims: [{ typ: 'oid', val: 'o' }, ...claims] }) } });

  it('lets an approver read and decide, a reader only read', () => {
    expect(authorize(req([{ typ: 'aud', val: 'c1' }, { typ: 'roles', val: 'basegate.approver' }]), auth, 'approve', true)).toMatchObject({ kind: 'principal' });
    expect(authorize(req([{ typ: 'aud', val: 'api://c1' }, { typ: 'roles', val: 'basegate.reader' }]), auth, 'read', false)).toMatchObject({ kind: 'principal' });
    expect(refusal(() => authorize(req([{ typ: 'aud', val: 'c1' }, { typ: 'roles', val: 'basegate.reader' }]), auth, 'approve', true))).toMatchObject({ status: 403, code: 'ROLE_REQUIRED' });
  });

  it('refuses a token for another audience even with the role', () => {
    expect(refusal(() => authorize(req([{ typ: 'aud', val: 'c2' }, { typ: 'roles', val: 'basegate.approver' }]), auth, 'approve', true))).toMatchObject({ status: 401, code: 'AUTH_AUDIENCE_WRONG' });
  });

  it('without Entra ID: approvals 503, the rest to whoever passed the function key; the header is never read', () => {
    const forged = req([{ typ: 'aud', val: 'c1' }, { typ: 'roles', val: 'basegate.approver' }]);
    expect(refusal(() => authorize(forged, { mode: 'off' }, 'approve', true))).toMatchObject({ status: 503, code: 'AUTH_NOT_CONFIGURED' });
    expect(authorize(forged, { mode: 'off' }, 'read', false)).toEqual({ kind: 'function-key' });
  });
});
