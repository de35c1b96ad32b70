/**
 * The caller App Service authentication (Easy Auth, `authsettingsV2`) vouches for: the
 * `X-MS-CLIENT-PRINCIPAL` header, base64 of `{"auth_typ", "claims": [{"typ", "val"}], "name_typ",
 * "role_typ"}` (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities#decode-the-client-principal-header).
 * The platform sets it after validating the Entra ID token and removes any copy a client sent,
 * but only while platform authentication is on: the app trusts the header only when the app
 * setting that the same Bicep condition sets says so (api-auth.ts), never on its own.
 *
 * Claim names go through the platform's default claim mapping, so both the short and the
 * mapped forms are read: `oid` / `.../identity/claims/objectidentifier`, `roles` / the
 * `role_typ` URI, `aud`, `name` / `preferred_username` / `appid` (an application caller).
 */
import { z } from 'zod';
import { unauthorized } from '../../webhooks/request-rejected';

/** The header the platform sets (Node lowercases names). */
export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';

/** Largest header accepted: a principal with hundreds of group claims stays far below. */
const MAX_HEADER_CHARS = 32 * 1024;

const OBJECT_ID_TYPES = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const ROLE_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_TYPES = ['name', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'appid', 'azp'];

const principalSchema = z.object({
  auth_typ: z.string().max(64),
  claims: z.array(z.object({ typ: z.string().max(512), val: z.string().max(4096) })).max(2000),
  name_typ: z.string().max(512).optional(),
  role_typ: z.string().max(512).optional(),
});

/** A caller the platform authenticated with Entra ID. */
export interface ClientPrincipal {
  /** Entra object id: the stable identity recorded in the audit. */
  objectId: string;
  /** Display name (UPN, name, or the application id of an app caller). */
  name: string;
  roles: string[];
  /** Token audiences (`aud` claims). */
  audiences: string[];
}

/** Reads the principal from `header`; undefined when there is none, a 401 when it cannot be read. */
export function readClientPrincipal(header: string | null, nameHeader: string | null = null): ClientPrincipal | undefined {
  if (header === null || header === '') return undefined;
  const refuse = (why: string) => unauthorized('AUTH_PRINCIPAL_INVALID', `the X-MS-CLIENT-PRINCIPAL header ${why}; expected the App Service authentication principal (base64 JSON with auth_typ and claims)`);
  if (header.length > MAX_HEADER_CHARS) throw refuse(`is ${header.length} characters long`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw refuse('is not base64-encoded JSON');
  }
  const parsed = principalSchema.safeParse(json);
  if (!parsed.success) throw refuse('does not have the principal shape');
  const { auth_typ: authType, claims, name_typ: nameType, role_typ: roleType } = parsed.data;
  if (authType.toLowerCase() !== 'aad') throw refuse(`names identity provider ${JSON.stringify(authType.slice(0, 40))}, not Entra ID (aad)`);
  const values = (types: readonly string[]) => claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
  const objectId = values(OBJECT_ID_TYPES)[0];
  if (!objectId) throw refuse('has no object id claim (oid)');
  const name = values([...(nameType ? [nameType] : []), ...NAME_TYPES])[0] ?? nameHeader ?? objectId;
  return { objectId, name, roles: [...new Set(values([...(roleType ? [roleType] : []), ...ROLE_TYPES]))], audiences: values(['aud']) };
}
