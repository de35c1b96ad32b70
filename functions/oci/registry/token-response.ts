/**
 * Reading a token endpoint's answer, for the GET token flow (auth.ts) and the OAuth2 refresh
 * flow (oauth2-token.ts) alike: at most 1 MiB of JSON, `token` or `access_token`, and how long to
 * keep it. The lifetime is `expires_in` when given; ACR gives none (its access and refresh tokens
 * are JWTs, `exp` says when they end), so a JWT's `exp` comes next; 60 s otherwise, as the token
 * spec says ("Token Response Fields", https://distribution.github.io/distribution/spec/auth/token/).
 */
import { redactUrl, RegistryError } from '../../errors';
import { readAtMost, type HttpResponse } from './http';
import { tokenResponseSchema } from './schema';

/** Token lifetime when the response has no `expires_in` and the token no `exp` (token spec, "Token Response Fields"). */
export const DEFAULT_TOKEN_SECONDS = 60;

/** A token and how long to keep it. */
export interface FetchedToken {
  token: string;
  ttlMs: number;
}

/** How long before its stated expiry a token is dropped: 10 % of its life, at most 10 s, so a request never carries a token that expires on the way. */
export function tokenTtlMs(expiresInSeconds: number): number {
  const life = expiresInSeconds * 1000;
  return life - Math.min(10_000, life / 10);
}

/** When a JWT says it expires (ms since the epoch), or undefined for anything that is not a JWT with a numeric `exp`. Not verified: only the issuer's client uses it, to schedule a refresh. */
export function jwtExpiresAt(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long to keep a token: `expires_in`, else the JWT's `exp`, else {@link DEFAULT_TOKEN_SECONDS}; never negative. */
export function tokenLifetimeMs(token: string, expiresIn: number | undefined, now: number = Date.now()): number {
  if (expiresIn !== undefined) return tokenTtlMs(expiresIn);
  const exp = jwtExpiresAt(token);
  if (exp !== undefined) return Math.max(0, tokenTtlMs(Math.max(0, exp - now) / 1000));
  return tokenTtlMs(DEFAULT_TOKEN_SECONDS);
}

/** A token response is small: 1 MiB is far beyond any JWT and bounds a hostile issuer. */
const TOKEN_BODY_LIMIT = 1024 * 1024;

/** Reads a 200 answer of a token endpoint; `method` and `url` name the request in errors. */
export async function readTokenResponse(res: HttpResponse, method: string, url: URL): Promise<FetchedToken> {
  const { bytes, truncated } = await readAtMost(res.body, TOKEN_BODY_LIMIT);
  if (truncated) {
    throw new RegistryError({ code: 'AUTH_TOKEN_INVALID', message: `token response over ${TOKEN_BODY_LIMIT} bytes`, method, url: url.toString(), status: res.status, temporary: false });
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined; // the schema check says what is wrong
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new RegistryError({ code: 'AUTH_TOKEN_INVALID', message: `token response from ${redactUrl(url.toString())} has no token`, method, url: url.toString(), status: res.status, temporary: false });
  }
  const token = parsed.data.token ?? parsed.data.access_token!;
  return { token, ttlMs: tokenLifetimeMs(token, parsed.data.expires_in) };
}
