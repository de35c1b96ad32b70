/**
 * A test Entra ID authority: issues RS256 access tokens the way the Microsoft identity platform
 * does (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
 * header `{ alg: RS256, typ: JWT, kid }`, claims `iss` (`https://sts.windows.net/{tid}/`), `aud`
 * (the resource: `https://containerregistry.azure.net` for ACR), `tid`, `oid`, `appid`, `iat`,
 * `nbf`, `exp`. Stand-ins of Azure services check what they are sent with {@link EntraAuthority.verify},
 * so a token for another audience, another tenant, an expired one or a forged one is refused.
 *
 * Two ways to get a token, both counted in `issued`:
 * - in process, `credential()`: a `TokenCredential` standing for the Functions app's managed identity;
 * - over loopback HTTP, the v2 client-credentials endpoint the `az` stand-in calls
 *   (`POST /{tenant}/oauth2/v2.0/token`, form `grant_type=client_credentials&client_id&client_secret&scope=<resource>/.default`,
 *   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow) → `{ token_type, expires_in, access_token }`.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token the authority issued. */
export interface IssuedToken {
  audience: string;
  oid: string;
  via: 'credential' | 'http';
}

/** Claims of a verified token. */
export interface EntraClaims {
  iss: string;
  aud: string;
  tid: string;
  oid: string;
  exp: number;
}

export interface EntraAuthority {
  tenant: string;
  /** `http://127.0.0.1:PORT`: the authority host the `az` stand-in posts to. */
  url: string;
  /** The client the HTTP endpoint accepts (the `az` stand-in's login). */
  client: { id: string; secret: string; oid: string };
  issued: IssuedToken[];
  /** A token credential for `oid` (default: the app identity), recording the scopes asked for. */
  credential(oid?: string): TokenCredential & { scopes: string[] };
  /** The claims when `token` is a valid, current token of this authority for `audience`; throws saying why not. */
  verify(token: string, audience: string): EntraClaims;
  close(): Promise<void>;
}

/** The object id of the app's (managed) identity in tokens from {@link EntraAuthority.credential}. */
export const APP_IDENTITY_OID = '11111111-2222-3333-4444-555555555555';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startEntraAuthority(options: { tenant?: string; lifetimeSeconds?: number } = {}): Promise<EntraAuthority> {
  const tenant = options.tenant ?? '72f988bf-0000-4000-8000-00000000c0de';
  const lifetime = options.lifetimeSeconds ?? 3600;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const issuer = `https://sts.windows.net/${tenant}/`;
  const issued: IssuedToken[] = [];
  const client = { id: randomUUID(), secret: randomUUID(), oid: '99999999-8888-7777-6666-555555555555' };

  const issue = (resource: string, oid: string, via: IssuedToken['via']): { token: string; exp: number } => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, aud: resource, tid: tenant, oid, appid: oid, iat: now, nbf: now - 5, exp: now + lifetime };
    const unsigned = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(claims)}`;
    issued.push({ audience: resource, oid, via });
    return { token: `${unsigned}.${sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url')}`, exp: claims.exp };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || req.url !== `/${tenant}/oauth2/v2.0/token`) return reply(404, { error: 'invalid_request', error_description: `no endpoint ${req.method} ${req.url}` });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'client_credentials') return reply(400, { error: 'unsupported_grant_type' });
      if (form.get('client_id') !== client.id || form.get('client_secret') !== client.secret) return reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      const scope = form.get('scope') ?? '';
      if (!scope.endsWith('/.default')) return reply(400, { error: 'invalid_scope', error_description: `AADSTS1002012: scope ${scope} is not <resource>/.default` });
      const { token } = issue(scope.slice(0, -'/.default'.length), client.oid, 'http');
      return reply(200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    tenant,
    url: `http://127.0.0.1:${port}`,
    client,
    issued,
    credential(oid = APP_IDENTITY_OID) {
      const scopes: string[] = [];
      return {
        scopes,
        async getToken(scope: string | string[]): Promise<AccessToken> {
          const list = Array.isArray(scope) ? scope : [scope];
          scopes.push(...list);
          if (list.length !== 1 || !list[0].endsWith('/.default')) throw new Error(`test authority: expected one <resource>/.default scope, got ${list.join(' ')}`);
          const { token, exp } = issue(list[0].slice(0, -'/.default'.length), oid, 'credential');
          return { token, expiresOnTimestamp: exp * 1000 };
        },
      };
    },
    verify: (token, audience) => verifyToken(token, audience, publicKey, issuer),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function verifyToken(token: string, audience: string, key: KeyObject, issuer: string): EntraClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
  if (header.alg !== 'RS256') throw new Error(`alg ${header.alg}, expected RS256`);
  if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) throw new Error('signature does not verify: not issued by this authority');
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as EntraClaims & { nbf: number };
  const now = Date.now() / 1000;
  if (claims.iss !== issuer) throw new Error(`issuer ${claims.iss}, expected ${issuer}`);
  if (claims.aud !== audience) throw new Error(`audience ${claims.aud}, expected ${audience}`);
  if (!(claims.exp > now) || !(claims.nbf <= now)) throw new Error('token expired or not yet valid');
  return claims;
}
