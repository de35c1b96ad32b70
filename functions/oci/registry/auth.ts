/**
 * Authentication, the only place that sets `Authorization`
 * (https://distribution.github.io/distribution/spec/auth/token/):
 *
 * 1. The first request to a host pings `GET /v2/` without credentials to learn its challenge
 *    (200: anonymous; 401: `Basic` or `Bearer realm,service`), kept for the client's life.
 * 2. Basic: the configured credentials go on every request to the host.
 *    Bearer: a token from `GET realm?service=S&scope=A&scope=B` (Basic credentials when
 *    configured, anonymous otherwise), cached per (registry, realm, service, scope) for its
 *    `expires_in` (60 s when absent, as the spec says) less a safety margin: a registry that
 *    names another registry's realm and service never gets that registry's token. The realm
 *    must pass token-realm.ts (https, the registry's own host or one allowed for it) first.
 *    A configured static `token` is sent as is.
 * 3. A 401 gets one refresh, exactly once: the cached token is dropped, a new one is fetched
 *    for the scopes we need plus those the challenge names, and the request is sent again.
 *    A second 401 goes up to the caller.
 *
 * Credentials go only to the registry's own origin (scheme, host and port, origin.ts): a request
 * anywhere else (a redirect to storage, an upload Location or a `Link` page elsewhere, or on the
 * same host over plain http) leaves here without them.
 */
import { cached, type MemoryCache } from '../../cache';
import { redactUrl, RegistryError } from '../../errors';
import { parseChallenges, pickChallenge, type Challenge } from './challenge';
import { discard, readAtMost, type Decorator, type HttpRequest, type HttpResponse, type Transport } from './http';
import type { ResolvedHostOptions, ResolvedRegistryClientOptions } from './options';
import { isSameOrigin, registryOrigin } from './origin';
import { tokenResponseSchema } from './schema';
import { checkResponse } from './send';
import { checkTokenRealm } from './token-realm';

/** Token lifetime when the response has no `expires_in` (token spec, "Token Response Fields"). */
export const DEFAULT_TOKEN_SECONDS = 60;

/** How long before its stated expiry a token is dropped: 10 % of its life, at most 10 s, so a request never carries a token that expires on the way. */
export function tokenTtlMs(expiresInSeconds: number): number {
  const life = expiresInSeconds * 1000;
  return life - Math.min(10_000, life / 10);
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

    const token = (host: string, challenge: Challenge, scopes: string[], creds: ResolvedHostOptions, refresh: boolean): Promise<string> => {
      const { realm, service = '' } = challenge.params;
      const key = `${host}|${realm}|${service}|${scopes.join(' ')}`;
      if (refresh) store.delete('token', key);
      return cached({ namespace: 'token', key, ttl: (t: { ttlMs: number }) => t.ttlMs, store }, () => fetchToken(next, host, challenge, scopes, creds)).then((t) => t.token);
    };

    const authorization = async (host: string, challenge: Challenge | undefined, creds: ResolvedHostOptions, scopes: string[], refresh: boolean): Promise<string | undefined> => {
      if (!challenge) return undefined;
      if (challenge.scheme === 'basic') return creds.username !== undefined ? basicAuthorization(creds.username, creds.password ?? '') : undefined;
      return `Bearer ${await token(host, challenge, scopes, creds, refresh)}`;
    };

    return async (req: HttpRequest): Promise<HttpResponse> => {
      if (!isSameOrigin(req.url, registryOrigin(options, req.host))) return next({ ...req, headers: withoutAuth(req.headers) });
      const creds = options.host(req.host);
      if (creds.token !== undefined) return next({ ...req, headers: { ...req.headers, authorization: `Bearer ${creds.token}` } });
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

/** `GET realm?service=&scope=...` with Basic credentials when configured, once the realm passed its check; the token and how long to keep it. */
async function fetchToken(next: Transport, host: string, challenge: Challenge, scopes: string[], creds: ResolvedHostOptions): Promise<{ token: string; ttlMs: number }> {
  const { realm, service } = challenge.params;
  let url: URL;
  try {
    url = new URL(realm);
  } catch (err) {
    throw new RegistryError({ code: 'AUTH_CHALLENGE_INVALID', message: `token realm ${JSON.stringify(realm)} is not a URL`, method: 'GET', url: String(realm), temporary: false, cause: err });
  }
  checkTokenRealm(url, { host, scheme: creds.scheme, tokenRealms: creds.tokenRealms });
  if (service) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (creds.username !== undefined) headers.authorization = basicAuthorization(creds.username, creds.password ?? '');
  const res = await next({ method: 'GET', url, headers, host: url.host, scopes: [], retry: true });
  try {
    await checkResponse(res, 200);
  } catch (err) {
    if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) {
      throw new RegistryError({ code: 'AUTH_FAILED', message: `token request refused: ${err.message}`, method: 'GET', url: url.toString(), status: err.status, errors: err.errors, temporary: false });
    }
    throw err;
  }
  const text = (await readJson(res)) as unknown;
  const parsed = tokenResponseSchema.safeParse(text);
  if (!parsed.success) {
    throw new RegistryError({ code: 'AUTH_TOKEN_INVALID', message: `token response from ${redactUrl(url.toString())} has no token`, method: 'GET', url: url.toString(), status: res.status, temporary: false });
  }
  const token = parsed.data.token ?? parsed.data.access_token!;
  return { token, ttlMs: tokenTtlMs(parsed.data.expires_in ?? DEFAULT_TOKEN_SECONDS) };
}

/** A token response is small: 1 MiB is far beyond any JWT and bounds a hostile issuer. */
const TOKEN_BODY_LIMIT = 1024 * 1024;

/** The parsed JSON body, or undefined when it is not JSON (the schema check then says what is wrong). */
async function readJson(res: HttpResponse): Promise<unknown> {
  const { bytes, truncated } = await readAtMost(res.body, TOKEN_BODY_LIMIT);
  if (truncated) {
    throw new RegistryError({ code: 'AUTH_TOKEN_INVALID', message: `token response over ${TOKEN_BODY_LIMIT} bytes`, method: 'GET', url: res.request.url.toString(), status: res.status, temporary: false });
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
