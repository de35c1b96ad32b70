/**
 * Locks a tag in Azure Container Registry so that it can be neither overwritten nor deleted
 * (ACR data plane, api-version 2021-07-01, Azure/azure-rest-api-specs
 * specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01):
 *
 * 1. `POST https://{loginServer}/oauth2/exchange` (form: `grant_type=access_token`, `service`,
 *    `access_token` = an Azure AD token for the ACR audience, optional `tenant`) → `{ refresh_token }`;
 * 2. `POST /oauth2/token` (form: `grant_type=refresh_token`, `service`,
 *    `scope=repository:{repo}:metadata_write`, `refresh_token`) → `{ access_token }`;
 * 3. `PATCH /acr/v1/{repo}/_tags/{tag}` `{ "writeEnabled": false, "deleteEnabled": false }`.
 *
 * The refresh token is cached per login server (they live about three hours; 30 minutes keeps
 * well inside that). The identity needs a role that allows metadata writes (e.g. AcrPush or
 * "Container Registry Repository Writer").
 */
import { request, type Dispatcher } from 'undici';
import { cached, MemoryCache } from '../cache';
import { BasegateError } from '../errors';
import type { TokenCredential } from './azure-credential';

/** Locks one tag against overwrite and deletion. */
export interface AcrTagLock {
  lock(repository: string, tag: string): Promise<void>;
}

/** Options of {@link AcrDataPlaneTagLock}. */
export interface AcrDataPlaneTagLockOptions {
  /** `contosobase.azurecr.io`: the `service` of the token exchange. */
  loginServer: string;
  credential: TokenCredential;
  /** Where the data plane answers; default `https://{loginServer}` (the tests' loopback fake). */
  endpoint?: string;
  tenantId?: string;
  /** Azure AD audience of ACR. */
  scope?: string;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

const DEFAULTS = {
  /** ACR's Azure AD audience (an ARM-audience token is refused unless the registry allows it). */
  scope: 'https://containerregistry.azure.net/.default',
  apiVersion: '2021-07-01',
  /** Well inside the refresh token's ~3 h life. */
  refreshTokenTtlMs: 30 * 60_000,
  timeoutMs: 30_000,
} as const;

/** The tag lock over ACR's data plane. */
export class AcrDataPlaneTagLock implements AcrTagLock {
  private readonly endpoint: string;
  private readonly store = new MemoryCache();

  constructor(private readonly options: AcrDataPlaneTagLockOptions) {
    this.endpoint = (options.endpoint ?? `https://${options.loginServer}`).replace(/\/+$/, '');
  }

  /** Sets `writeEnabled: false, deleteEnabled: false` on `repository:tag`. */
  async lock(repository: string, tag: string): Promise<void> {
    const refreshToken = await cached({ namespace: 'acr-refresh-token', key: this.options.loginServer, ttl: DEFAULTS.refreshTokenTtlMs, store: this.store }, () => this.exchange());
    const access = await this.post('/oauth2/token', {
      grant_type: 'refresh_token',
      service: this.options.loginServer,
      scope: `repository:${repository}:metadata_write`,
      refresh_token: refreshToken,
    });
    const accessToken = stringField(access, 'access_token', 'oauth2/token');
    const path = `/acr/v1/${repository}/_tags/${encodeURIComponent(tag)}?api-version=${DEFAULTS.apiVersion}`;
    const res = await this.send(path, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ writeEnabled: false, deleteEnabled: false }),
    });
    if (res.status !== 200) throw this.failure(`locking ${repository}:${tag}`, res.status);
  }

  private async exchange(): Promise<string> {
    const scope = this.options.scope ?? DEFAULTS.scope;
    const aad = await this.options.credential.getToken(scope);
    if (!aad) throw new BasegateError('ACR_TOKEN_EXCHANGE_FAILED', `no Azure AD token for ${scope}`, { temporary: true });
    const body = await this.post('/oauth2/exchange', {
      grant_type: 'access_token',
      service: this.options.loginServer,
      access_token: aad.token,
      ...(this.options.tenantId ? { tenant: this.options.tenantId } : {}),
    });
    return stringField(body, 'refresh_token', 'oauth2/exchange');
  }

  private async post(path: string, form: Record<string, string>): Promise<unknown> {
    const res = await this.send(`${path}?api-version=${DEFAULTS.apiVersion}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    if (res.status !== 200) throw this.failure(path.slice(1), res.status);
    return JSON.parse(res.text) as unknown;
  }

  private async send(path: string, init: { method: 'POST' | 'PATCH'; headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> {
    const timeout = this.options.timeoutMs ?? DEFAULTS.timeoutMs;
    try {
      const res = await request(`${this.endpoint}${path}`, { ...init, dispatcher: this.options.dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      throw new BasegateError('ACR_DATA_PLANE_UNREACHABLE', `${this.options.loginServer} could not be reached: ${(err as Error).message}`, { temporary: true, cause: err });
    }
  }

  private failure(what: string, status: number): BasegateError {
    const temporary = status === 429 || status >= 500;
    const code = what.startsWith('oauth2') ? 'ACR_TOKEN_EXCHANGE_FAILED' : 'ACR_TAG_LOCK_FAILED';
    return new BasegateError(code, `${this.options.loginServer}: ${what} answered ${status}`, { temporary });
  }
}

function stringField(body: unknown, field: string, what: string): string {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value === '') throw new BasegateError('ACR_TOKEN_EXCHANGE_FAILED', `${what} answered without ${field}`);
  return value;
}
