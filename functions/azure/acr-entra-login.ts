/**
 * One Entra ID login for ACR data planes, shared by every data-plane use (direct reads, the
 * import promoter's checks and referrers, the tag lock, the CLI against an ACR). It is a source
 * of the credential chain (oci/registry/credential-provider.ts) that answers with a
 * `refresh-token` credential; the auth layer then trades the refresh token at the registry's
 * realm (`POST /oauth2/token`) for repository-scoped access tokens, cached per scope until
 * shortly before their JWT `exp`.
 *
 * Getting the refresh token (https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md; ACR
 * data-plane spec 2021-07-01, Authentication_ExchangeAadAccessTokenForAcrRefreshToken):
 * 1. an Entra access token for the ACR audience (acr-login-servers.ts) from `@azure/identity`:
 *    the app's user-assigned managed identity in Azure, `DefaultAzureCredential` on the CLI;
 * 2. `POST https://{loginServer}/oauth2/exchange` form `grant_type=access_token&service&access_token[&tenant]`
 *    → `{ refresh_token }` (a JWT, no `expires_in`), cached per registry until
 *    shortly before its `exp`. The Entra token is cached until shortly before its expiry too.
 * The exchange goes only to the realm the registry's own challenge names, on the registry's own
 * host over https (http only for a loopback stand-in): an Entra token is a bearer credential
 * and must not reach anyone else (`AUTH_REALM_UNTRUSTED`).
 *
 * When no Azure credential can be had at all (a CLI user without `az login`), the implicit login
 * of an ACR login server falls back to anonymous, with one warning per host (a public ACR stays
 * readable); a registry configured with `auth: azure` fails instead (`AUTH_AZURE_UNAVAILABLE`).
 */
import { request, type Dispatcher } from 'undici';
import { MemoryCache } from '../cache';
import { BasegateError, RegistryError } from '../errors';
import type { CredentialProvider, RegistryCredential, TokenChallenge } from '../oci/registry/credential-provider';
import { isLoopback, normaliseHost } from '../oci/registry/options';
import { tokenLifetimeMs, tokenTtlMs } from '../oci/registry/token-response';
import { acrCloudOf, acrScopeFor } from './acr-login-servers';
import type { TokenCredential } from './azure-credential';

/** Options of {@link AcrEntraLogin}. */
export interface AcrEntraLoginOptions {
  /** The Azure credential, asked for on first need (so a run that never meets an ACR never loads @azure/identity). */
  credential: () => TokenCredential | Promise<TokenCredential>;
  /** Hosts configured with `auth: azure`, with an optional audience each (sovereign or custom clouds). */
  hosts?: Record<string, { audience?: string }>;
  /** Sent as `tenant` in the exchange (multi-tenant identities). */
  tenantId?: string;
  /** An undici dispatcher for the exchange (a private CA, a proxy). */
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  /** Milliseconds clock of the caches. */
  now?: () => number;
  /** The anonymous fallback's warning (static message, metadata). Default: process.emitWarning. */
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

const DEFAULTS = {
  /** One small POST; a slow token service is an outage, reported as temporary. */
  timeoutMs: 30_000,
  /** How long "no Azure credential here" is believed before asking again (a user may run `az login` meanwhile). */
  unavailableTtlMs: 5 * 60_000,
  /** A refresh token larger than this is not one: bounds a hostile answer. */
  bodyLimit: 1024 * 1024,
} as const;

/** The Entra ID → ACR refresh-token login, and the credential sources over it. */
export class AcrEntraLogin {
  private readonly store: MemoryCache;
  private readonly now: () => number;
  private readonly hosts: Map<string, { audience?: string }>;
  private readonly warned = new Set<string>();
  /** Exchanges sent so far (observability and tests). */
  exchanges = 0;

  constructor(private readonly options: AcrEntraLoginOptions) {
    this.now = options.now ?? Date.now;
    this.store = new MemoryCache(this.now);
    this.hosts = new Map(Object.entries(options.hosts ?? {}).map(([h, o]) => [normaliseHost(h), o]));
  }

  /** Answers for the hosts configured with `auth: azure` (precedence 1 of the chain). */
  configuredProvider(): CredentialProvider {
    return { name: 'registries: auth azure', credentialFor: async (host) => (this.hosts.has(host) ? this.credential(host) : undefined) };
  }

  /** Answers for every ACR login server (precedence 3 of the chain): Entra ID, or anonymous with a warning when no Azure credential exists. */
  implicitProvider(): CredentialProvider {
    return {
      name: 'Entra ID for ACR',
      credentialFor: async (host) => {
        if (!acrCloudOf(host)) return undefined;
        if (await this.unavailable(host)) return { kind: 'anonymous' };
        return this.credential(host);
      },
    };
  }

  /** The ACR refresh token for the registry that challenged, exchanged once per token lifetime. */
  async refreshToken(challenge: TokenChallenge): Promise<string> {
    const { host, realm } = challenge;
    if (realm.host.toLowerCase() !== host.toLowerCase() || !(realm.protocol === 'https:' || (realm.protocol === 'http:' && isLoopback(host)))) {
      throw new RegistryError({ code: 'AUTH_REALM_UNTRUSTED', message: `${host} asks for a token from ${realm.origin}; basegate sends an Entra ID token only to the registry's own https://${host}/oauth2/exchange`, method: 'POST', url: realm.toString(), temporary: false });
    }
    return this.store.get('acr-refresh-token', host.toLowerCase(), (t: string) => tokenLifetimeMs(t, undefined, this.now()), () => this.exchange(challenge));
  }

  /** Forgets the refresh token of `host` (the realm refused it). */
  invalidate(host: string): void {
    this.store.delete('acr-refresh-token', host.toLowerCase());
  }

  private credential(host: string): RegistryCredential {
    return { kind: 'refresh-token', refreshToken: (challenge) => this.refreshToken(challenge), invalidate: () => this.invalidate(host) };
  }

  /** True when no Azure credential can be had (warned once per host); other failures are left to the exchange to report. */
  private async unavailable(host: string): Promise<boolean> {
    try {
      await this.entraToken(acrScopeFor(host, this.hosts.get(host)?.audience));
      return false;
    } catch (err) {
      if (!isCredentialUnavailable(err)) return false;
      if (!this.warned.has(host)) {
        this.warned.add(host);
        (this.options.warn ?? defaultWarn)('no Azure credential: reading the ACR anonymously', { registry: host, reason: (err as Error).message.split('\n')[0] });
      }
      return true;
    }
  }

  /** An Entra access token for `scope`, kept until shortly before it expires; "unavailable" is kept a few minutes. */
  private entraToken(scope: string): Promise<string> {
    return this.store.get('entra-token', scope, (r: { token?: string; ttlMs: number }) => r.ttlMs, async () => {
      try {
        const credential = await this.options.credential();
        const token = await credential.getToken(scope);
        if (!token) throw new BasegateError('AUTH_AZURE_UNAVAILABLE', `the Azure credential gave no token for ${scope}`, { temporary: true });
        return { token: token.token, ttlMs: tokenTtlMs(Math.max(0, token.expiresOnTimestamp - this.now()) / 1000) };
      } catch (err) {
        if (isCredentialUnavailable(err)) return { error: err, ttlMs: DEFAULTS.unavailableTtlMs };
        throw err;
      }
    }).then((r: { token?: string; error?: unknown }) => {
      if (r.token === undefined) throw r.error;
      return r.token;
    });
  }

  private async exchange(challenge: TokenChallenge): Promise<string> {
    const { host, realm, service } = challenge;
    const scope = acrScopeFor(host, this.hosts.get(host)?.audience);
    let entra: string;
    try {
      entra = await this.entraToken(scope);
    } catch (err) {
      if (!isCredentialUnavailable(err)) throw err;
      throw new BasegateError('AUTH_AZURE_UNAVAILABLE', `${host} is configured with auth: azure, but no Azure credential is available (${(err as Error).message.split('\n')[0]}); run az login, or give the app a managed identity`, { cause: err });
    }
    const url = new URL('/oauth2/exchange', realm.origin);
    const form = new URLSearchParams({ grant_type: 'access_token', service, access_token: entra, ...(this.options.tenantId ? { tenant: this.options.tenantId } : {}) });
    const timeout = this.options.timeoutMs ?? DEFAULTS.timeoutMs;
    let status: number;
    let text: string;
    try {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString(), dispatcher: this.options.dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
      status = res.statusCode;
      text = (await res.body.text()).slice(0, DEFAULTS.bodyLimit);
    } catch (err) {
      throw new RegistryError({ code: 'ACR_TOKEN_EXCHANGE_FAILED', message: `${host}: POST ${url.origin}/oauth2/exchange could not be sent: ${(err as Error).message}`, method: 'POST', url: url.toString(), temporary: true, cause: err });
    }
    this.exchanges++;
    const refresh = status === 200 ? parseRefreshToken(text) : undefined;
    if (refresh === undefined) {
      const temporary = status === 429 || status >= 500;
      const what = status === 200 ? 'answered without a refresh_token' : `answered ${status}${status === 401 ? ' (the Entra token was refused: wrong tenant, audience, or no role on the registry)' : ''}`;
      throw new RegistryError({ code: 'ACR_TOKEN_EXCHANGE_FAILED', message: `${host}: /oauth2/exchange ${what}`, method: 'POST', url: url.toString(), status, temporary });
    }
    return refresh;
  }
}

function parseRefreshToken(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** True for @azure/identity's "no credential here" errors: CredentialUnavailableError, or a chain where every source was unavailable. */
export function isCredentialUnavailable(err: unknown): boolean {
  const e = err as { name?: string; errors?: unknown[] } | null;
  if (e?.name === 'CredentialUnavailableError') return true;
  return e?.name === 'AggregateAuthenticationError' && Array.isArray(e.errors) && e.errors.every((x) => ['CredentialUnavailableError', 'AuthenticationRequiredError'].includes((x as { name?: string }).name ?? ''));
}

function defaultWarn(message: string, meta: Record<string, unknown>): void {
  process.emitWarning(`${message} ${JSON.stringify(meta)}`, { code: 'BASEGATE_AUTH' });
}
