/**
 * Who may call the HTTP API (issue #15). Two modes, chosen by one app setting that the Bicep sets
 * under the same condition that deploys App Service authentication (infra/modules/api-auth.bicep):
 *
 * - `entra` (`BASEGATE_API_CLIENT_ID` set): the platform validates an Entra ID token for the API's
 *   app registration before the function runs, answers 401 itself without one, and hands the app
 *   the principal (client-principal.ts). The approval, status and check routes are `anonymous`
 *   (a caller needs a token, not a key and a token) and the app checks the principal's app
 *   roles: `basegate.approver` decides and forces checks, `basegate.reader` (or approver) reads.
 * - `off` (no client id): nothing vouches for a person, so approvals answer 503
 *   `AUTH_NOT_CONFIGURED`; status and check stay behind a function key.
 *
 * Webhook routes are outside both: senders cannot present Entra tokens, so they keep function
 * keys plus their own secret, and the platform excludes their paths from authentication.
 */
import type { HttpRequest } from '@azure/functions';
import { RequestRejected, unauthorized } from '../../webhooks/request-rejected';
import { CLIENT_PRINCIPAL_HEADER, readClientPrincipal, type ClientPrincipal } from './client-principal';

/** The app roles of basegate's Entra app registration (README, "Approvals with Entra ID"). */
export const API_ROLES = { approver: 'basegate.approver', reader: 'basegate.reader' } as const;

/** How the API authenticates callers. */
export type ApiAuth = { mode: 'entra'; clientId: string } | { mode: 'off' };

/** What a route needs: `approve` (decide, force a check) or `read` (status). */
export type ApiAccess = 'approve' | 'read';

/** Who is calling: a principal the platform authenticated, or (mode off) whoever holds the function key. */
export type Caller = { kind: 'principal'; principal: ClientPrincipal } | { kind: 'function-key' };

/** The mode for a client id setting (undefined: off). */
export function apiAuthOf(clientId: string | undefined): ApiAuth {
  return clientId ? { mode: 'entra', clientId } : { mode: 'off' };
}

/** The host authorization level a route gets under `auth`: a token or a key, never both. */
export function authLevelFor(auth: ApiAuth, route: { access: ApiAccess; needsPrincipal: boolean }): 'anonymous' | 'function' {
  return auth.mode === 'entra' || route.needsPrincipal ? 'anonymous' : 'function';
}

/** Checks the caller for `access`; throws the 401/403/503 that says what is missing. */
export function authorize(request: HttpRequest, auth: ApiAuth, access: ApiAccess, needsPrincipal: boolean): Caller {
  if (auth.mode === 'off') {
    if (!needsPrincipal) return { kind: 'function-key' };
    throw new RequestRejected(
      503,
      'AUTH_NOT_CONFIGURED',
      'approvals need App Service authentication with Entra ID so that every decision names a real person: set BASEGATE_API_CLIENT_ID (azd env set BASEGATE_API_CLIENT_ID <app registration client id>, then azd provision; README, "Approvals with Entra ID")',
    );
  }
  const principal = readClientPrincipal(request.headers.get(CLIENT_PRINCIPAL_HEADER), request.headers.get(`${CLIENT_PRINCIPAL_HEADER}-name`));
  if (!principal) throw unauthorized('AUTH_REQUIRED', 'no authenticated principal: send an Entra ID access token for the basegate API (Authorization: Bearer <token>, e.g. az account get-access-token --resource api://<client id>)');
  const audiences = [auth.clientId, `api://${auth.clientId}`];
  if (!principal.audiences.some((a) => audiences.includes(a))) {
    throw unauthorized('AUTH_AUDIENCE_WRONG', `the token was issued for ${JSON.stringify(principal.audiences.join(', ').slice(0, 200))}, not for the basegate API (${audiences.join(' or ')})`);
  }
  const allowed = access === 'approve' ? [API_ROLES.approver] : [API_ROLES.reader, API_ROLES.approver];
  if (!principal.roles.some((r) => (allowed as string[]).includes(r))) {
    throw new RequestRejected(403, 'ROLE_REQUIRED', `${principal.name} (${principal.objectId}) lacks the app role ${allowed.join(' or ')} of the basegate API; an owner of its app registration assigns it (Enterprise applications → Users and groups)`);
  }
  return { kind: 'principal', principal };
}
