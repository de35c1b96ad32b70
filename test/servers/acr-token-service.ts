/**
 * The token service of the ACR stand-in (acr-stand-in.ts), after the ACR data-plane spec
 * (Azure/azure-rest-api-specs specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01,
 * operations Authentication_ExchangeAadAccessTokenForAcrRefreshToken,
 * Authentication_ExchangeAcrRefreshTokenForAcrAccessToken, Authentication_GetAcrAccessTokenFromLogin;
 * examples PostRefreshToken.json, PostAccessToken.json) and
 * https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md:
 *
 * - `POST /oauth2/exchange` form `grant_type=access_token&service&access_token[&tenant]`: the
 *   access token must be an Entra token of the test authority for the ACR audience
 *   (`https://containerregistry.azure.net`), current, of the registry's tenant → `{ refresh_token }`,
 *   a JWT with `exp` (ACR's live about three hours) and no `expires_in`.
 * - `POST /oauth2/token` form `grant_type=refresh_token&service&scope&refresh_token` (scopes
 *   space-separated or repeated) → `{ access_token }`, a JWT the real docker-registry verifies,
 *   granting the asked actions the identity holds (an intersection, as ACR does), no `expires_in`.
 * - `GET /oauth2/token` with Basic (the admin user) or anonymous: refused, 401 — the admin user and
 *   anonymous pull are off in basegate's Bicep.
 * Anything malformed is a violation as well as a refusal.
 */
import { createPrivateKey, createPublicKey, randomUUID, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import type { EntraAuthority } from './entra-authority';
import { makeSigningKey } from './token-issuer';

/** The Entra audience of ACR's data plane in the public cloud. */
export const ACR_AUDIENCE = 'https://containerregistry.azure.net';
/** Issuer of the stand-in's own tokens (docker-registry's `auth.token.issuer`). */
export const ACR_STAND_IN_ISSUER = 'basegate-acr-stand-in';

/** One `access` entry of a registry token. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

type Reply = { status: number; json: unknown };

const refused = (status: number, message: string): Reply => ({ status, json: { errors: [{ code: 'UNAUTHORIZED', message }] } });

/** Mints and checks the stand-in's refresh and access tokens. */
export class AcrTokenService {
  readonly certPath: string;
  /** Calls seen: exchanges and token requests (with their scopes), in order. */
  readonly calls: Array<{ endpoint: 'exchange' | 'token' | 'login'; at: number; scopes?: string[]; ok: boolean }> = [];
  private readonly key: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly x5c: string;

  constructor(
    dir: string,
    readonly service: string,
    private readonly authority: EntraAuthority,
    private readonly options: { permissions: string[]; refreshTokenSeconds: number; accessTokenSeconds: number; violation: (message: string) => void },
  ) {
    const { keyPath, certPath } = makeSigningKey(dir);
    this.certPath = certPath;
    this.key = createPrivateKey(fs.readFileSync(keyPath));
    const cert = new X509Certificate(fs.readFileSync(certPath));
    this.publicKey = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
    this.x5c = cert.raw.toString('base64');
  }

  /** `POST /oauth2/exchange`. */
  exchange(form: URLSearchParams): Reply {
    const at = Date.now();
    const fail = (message: string): Reply => {
      this.calls.push({ endpoint: 'exchange', at, ok: false });
      this.options.violation(`exchange: ${message}`);
      return refused(401, message);
    };
    if (form.get('grant_type') !== 'access_token') return fail(`grant_type ${form.get('grant_type')}, expected access_token`);
    if (form.get('service') !== this.service) return fail(`service ${form.get('service')}, expected ${this.service}`);
    let claims;
    try {
      claims = this.authority.verify(form.get('access_token') ?? '', ACR_AUDIENCE);
    } catch (err) {
      return fail(`access_token refused: ${(err as Error).message}`);
    }
    const tenant = form.get('tenant');
    if (tenant !== null && tenant !== claims.tid) return fail(`tenant ${tenant} does not match the token's ${claims.tid}`);
    this.calls.push({ endpoint: 'exchange', at, ok: true });
    return { status: 200, json: { refresh_token: this.mint({ grant_type: 'refresh_token', sub: claims.oid, tenant: claims.tid }, this.options.refreshTokenSeconds) } };
  }

  /** `POST /oauth2/token`. */
  token(form: URLSearchParams): Reply {
    const at = Date.now();
    const scopes = form.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const fail = (message: string): Reply => {
      this.calls.push({ endpoint: 'token', at, scopes, ok: false });
      this.options.violation(`token: ${message}`);
      return refused(401, message);
    };
    if (form.get('grant_type') !== 'refresh_token') return fail(`grant_type ${form.get('grant_type')}, expected refresh_token (the admin user is disabled)`);
    if (form.get('service') !== this.service) return fail(`service ${form.get('service')}, expected ${this.service}`);
    const refresh = this.check(form.get('refresh_token') ?? '');
    if (typeof refresh === 'string' || refresh.grant_type !== 'refresh_token') return fail(`refresh_token refused: ${typeof refresh === 'string' ? refresh : 'not a refresh token'}`);
    const access: AccessEntry[] = [];
    for (const scope of scopes) {
      const parts = scope.split(':');
      if (parts.length !== 3 || !['repository', 'registry'].includes(parts[0])) return fail(`scope ${JSON.stringify(scope)} is not type:name:actions`);
      access.push({ type: parts[0], name: parts[1], actions: parts[2].split(',').filter((a) => this.options.permissions.includes(a)) });
    }
    if (access.length === 0) return fail('no scope');
    this.calls.push({ endpoint: 'token', at, scopes, ok: true });
    return { status: 200, json: { access_token: this.accessToken(access, String(refresh.sub)) } };
  }

  /** `GET /oauth2/token` (username/password login): refused, the admin user is disabled and anonymous pull is off. */
  login(basic: boolean): Reply {
    this.calls.push({ endpoint: 'login', at: Date.now(), ok: false });
    return refused(401, basic ? 'admin user is disabled for this registry' : 'anonymous pull is disabled for this registry');
  }

  /** An access token granting `access` (docker-registry's claim set, with the certificate in `x5c`). */
  accessToken(access: AccessEntry[], sub = 'acr-stand-in'): string {
    return this.mint({ sub, access }, this.options.accessTokenSeconds);
  }

  /** The actions an access token grants on `repository`; a string saying why when it is no good. */
  actionsOn(token: string, repository: string): string[] | string {
    const claims = this.check(token);
    if (typeof claims === 'string') return claims;
    const access = (claims.access as AccessEntry[] | undefined) ?? [];
    return access.filter((a) => a.type === 'repository' && a.name === repository).flatMap((a) => a.actions);
  }

  private mint(extra: Record<string, unknown>, seconds: number): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ACR_STAND_IN_ISSUER, aud: this.service, iat: now, nbf: now - 10, exp: now + seconds, jti: randomUUID(), ...extra };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [this.x5c] })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${unsigned}.${sign('sha256', Buffer.from(unsigned), this.key).toString('base64url')}`;
  }

  /** The claims of one of our own current tokens, or why not. */
  private check(token: string): Record<string, unknown> | string {
    const parts = token.split('.');
    if (parts.length !== 3) return 'not a JWT';
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey, Buffer.from(parts[2], 'base64url'))) return 'signature does not verify';
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    if (claims.iss !== ACR_STAND_IN_ISSUER || claims.aud !== this.service) return 'issuer or audience';
    if (!(Number(claims.exp) > Date.now() / 1000)) return 'expired';
    return claims;
  }
}
