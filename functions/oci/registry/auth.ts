/**
 * Authentication, the only place that sets `Authorization`
 * (https://distribution.github.io/distribution/spec/auth/token/):
 *
 * 1. The first request to a host pings `GET /v2/` without credentials to learn its challenge
 *    (200: anonymous; 401: `Basic` or `Bearer realm,service`), kept for the client's life.
 * 2. The host's credential comes from the credential chain (credential-provider.ts).
 *    Basic: the credentials go on every request to the host.
 *    Bearer: a token from `GET realm?service=S&scope=A&scope=B` (Basic credentials when
 *    configured, anonymous otherwise), or, for a `refresh-token` credential (ACR's Entra ID
 *    login, docker's identity token), from `POST realm` with the refresh-token grant
 *    (oauth2-token.ts); cached per (registry, realm, service, scope) for its `expires_in`, else
 *    its JWT `exp`, else 60 s (token-response.ts), less a safety margin: a registry that
 *    names another registry's realm and service never gets that registry's token. The realm
 *    must pass token-realm.ts (https, the registry's own host or one allowed for it) first.
 *    A static `token` credential is sent as is.
 * 3. A 401 gets one refresh, exactly once: the cached token (and a refresh token) is dropped, a new one is fetched
 *    for the scopes we need plus those the challenge names, and the request is sent again.
 *    A second 401 goes up to the caller.
 *
 * Credentials go only to the registry's own origin (scheme, host and port, origin.ts): a request
 * anywhere else (a redirect to storage, an upload Location or a `Link` page elsewhere, or on the
 * same host over plain http) leaves here without them.
 */
import { cached, type MemoryCache } from '../../cache';
import { RegistryError } from '../../errors';
import { parseChallenges, pickChallenge, type Challenge } from './challenge';
import type { RegistryCredential } from './credential-provider';
import { discard, type Decorator, type HttpRequest, type HttpResponse, type Transport } from './http';
import { fetchOAuth2Token } from './oauth2-token';
import type { ResolvedHostOptions, ResolvedRegistryClientOptions } from './options';
import { isSameOrigin, registryOrigin } from './origin';
import { checkResponse } from './send';
import { checkTokenRealm } from './token-realm';
import { readTokenResponse, type FetchedToken } from './token-response';

export { DEFAULT_TOKEN_SECONDS, tokenTtlMs } from './token-response';

/** The host's options (realm policy) and the credential the chain gave for it. */
interface HostAuth {
  host: ResolvedHostOptions;
  credential: RegistryCredential | undefined;
}

/** The Authorization value of Basic credentials. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Scopes in a stable order without duplicates (the cache key and the `scope` parameters). */
function normaliseScopes(scopes: string[]): string[] {
  return [...new Set(scopes.flatMap((s) => s.split(' ')).filter(Boolean))].sort();
}

/** Adds authentication to requests bound for configured or challenging registry hosts. */
export function authenticate(options: ResolvedRegistryClientOptions, store: MemoryCache): Decorator {
  return (next) => {
    /** Challenges learned from a 401 after the ping (a registry that lets anonymous callers ping but not pull). */
    const learned = new Map<string, Challenge>();
    /** The host's challenge from an anonymous `GET /v2/`; undefined when it lets anonymous callers in. */
    const discover = (req: HttpRequest): Promise<Challenge | undefined> =>
      cached({ namespace: 'challenge', key: req.host, ttl: Infinity, store }, async () => {
        const url = new URL(`${req.url.protocol}//${req.url.host}/v2/`);
        const res = await next({ method: 'GET', url, headers: {}, host: req.host, scopes: [], retry: true });
        if (res.status === 401) {
          await discard(res);
          return pickChallenge(parseChallenges(res.headers['www-authenticate']));
        }
        // Anything but 2xx or 401 (an outage) is an error, not a verdict to keep for the client's life.
        await checkResponse(res, 200, 204);
        await discard(res);
        return undefined;
      });

    const token = (host: string, challenge: Challenge, scopes: string[], creds: HostAuth, refresh: boolean): Promise<string> => {
      const { realm, service = '' } = challenge.params;
      const key = `${host}|${realm}|${service}|${scopes.join(' ')}`;
      if (refresh) {
        store.delete('token', key);
        if (creds.credential?.kind === 'refresh-token') creds.credential.invalidate?.();
      }
      return cached({ namespace: 'token', key, ttl: (t: FetchedToken) => t.ttlMs, store }, () => fetchToken(next, host, challenge, scopes, creds)).then((t) => t.token);
    };

    const authorization = async (host: string, challenge: Challenge | undefined, creds: HostAuth, scopes: string[], refresh: boolean): Promise<string | undefined> => {
      if (!challenge) return undefined;
      if (challenge.scheme === 'basic') return creds.credential?.kind === 'basic' ? basicAuthorization(creds.credential.username, creds.credential.password) : undefined;
      return `Bearer ${await token(host, challenge, scopes, creds, refresh)}`;
    };

    return async (req: HttpRequest): Promise<HttpResponse> => {
      if (!isSameOrigin(req.url, registryOrigin(options, req.host))) return next({ ...req, headers: withoutAuth(req.headers) });
      const creds: HostAuth = { host: options.host(req.host), credential: await options.credentials.credentialFor(req.host) };
      if (creds.credential?.kind === 'token') return next({ ...req, headers: { ...req.headers, authorization: `Bearer ${creds.credential.token}` } });
      let challenge = learned.get(req.host) ?? (await discover(req));
      let scopes = normaliseScopes(req.scopes);
      const first = await authorization(req.host, challenge, creds, scopes, false);
      const res = await next({ ...req, headers: withHeader(req.headers, first) });
      if (res.status !== 401 || !isSameOrigin(res.request.url, registryOrigin(options, req.host))) return res;

      // One refresh, exactly once: the registry may have revoked the token, or want more scopes.
      const fresh = pickChallenge(parseChallenges(res.headers['www-authenticate']));
      if (!fresh) return res;
      challenge = fresh;
      learned.set(req.host, fresh);
      if (fresh.scheme === 'bearer') scopes = normaliseScopes([...scopes, ...(fresh.params.scope ? [fresh.params.scope] : [])]);
      let second: string | undefined;
      try {
        second = await authorization(req.host, challenge, creds, scopes, true);
      } catch (err) {
        await discard(res);
        throw err;
      }
      if (second === undefined || (fresh.scheme === 'basic' && second === first)) return res;
      await discard(res);
      return next({ ...req, headers: withHeader(req.headers, second) });
    };
  };
}

function withoutAuth(headers: Record<string, string>): Record<string, string> {
  const { authorization: _dropped, ...rest } = headers;
  return rest;
}

function withHeader(headers: Record<string, string>, authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? withoutAuth(headers) : { ...headers, authorization };
}

/** A token for `scopes` from the challenge's realm, once the realm passed its check: the refresh-token grant for a `refresh-token` credential, else `GET realm?service=&scope=...` (Basic when the credential is). */
async function fetchToken(next: Transport, host: string, challenge: Challenge, scopes: string[], creds: HostAuth): Promise<FetchedToken> {
  const { realm, service } = challenge.params;
  let url: URL;
  try {
    url = new URL(realm);
  } catch (err) {
    throw new RegistryError({ code: 'AUTH_CHALLENGE_INVALID', message: `token realm ${JSON.stringify(realm)} is not a URL`, method: 'GET', url: String(realm), temporary: false, cause: err });
  }
  checkTokenRealm(url, { host, scheme: creds.host.scheme, tokenRealms: creds.host.tokenRealms });
  const credential = creds.credential;
  if (credential?.kind === 'refresh-token') {
    const grant = async () => fetchOAuth2Token(next, url, service ?? '', scopes, await credential.refreshToken({ host, realm: url, service: service ?? '' }));
    try {
      return await grant();
    } catch (err) {
      // A refresh token revoked or expired early: one more try with a fresh one.
      if (!(err instanceof RegistryError && err.code === 'AUTH_FAILED' && credential.invalidate)) throw err;
      credential.invalidate();
      return grant();
    }
  }
  if (service) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credential?.kind === 'basic') headers.authorization = basicAuthorization(credential.username, credential.password);
  const res = await next({ method: 'GET', url, headers, host: url.host, scopes: [], retry: true });
  try {
    await checkResponse(res, 200);
  } catch (err) {
    if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) {
      throw new RegistryError({ code: 'AUTH_FAILED', message: `token request refused: ${err.message}`, method: 'GET', url: url.toString(), status: err.status, errors: err.errors, temporary: false });
    }
    throw err;
  }
  return readTokenResponse(res, 'GET', url);
}
