/**
 * The OAuth2 refresh-token grant of a token realm (https://distribution.github.io/distribution/spec/auth/oauth/):
 *
 *   POST realm   content-type: application/x-www-form-urlencoded
 *   grant_type=refresh_token&service=S&scope=A B&refresh_token=R&client_id=basegate
 *   → 200 { access_token, expires_in?, ... }
 *
 * The same exchange ACR documents as `POST /oauth2/token` (Azure/azure-rest-api-specs
 * specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01,
 * Authentication_ExchangeAcrRefreshTokenForAcrAccessToken). Scopes travel space-separated in one
 * `scope` field, as docker's client sends them. A 401 or 403 means the refresh token is no good
 * (`AUTH_FAILED`, so the caller may get a fresh one once).
 */
import { RegistryError } from '../../errors';
import type { Transport } from './http';
import { checkResponse } from './send';
import { readTokenResponse, type FetchedToken } from './token-response';

/** Names basegate to the token server (the spec requires a `client_id`). */
const CLIENT_ID = 'basegate';

/** Trades `refreshToken` at `realm` for an access token to `scopes`. */
export async function fetchOAuth2Token(next: Transport, realm: URL, service: string, scopes: string[], refreshToken: string): Promise<FetchedToken> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', service, scope: scopes.join(' '), refresh_token: refreshToken, client_id: CLIENT_ID });
  const body = Buffer.from(form.toString());
  const res = await next({
    method: 'POST',
    url: realm,
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
    body: () => body,
    host: realm.host,
    scopes: [],
    retry: true,
  });
  try {
    await checkResponse(res, 200);
  } catch (err) {
    if (err instanceof RegistryError && (err.status === 401 || err.status === 403)) {
      throw new RegistryError({ code: 'AUTH_FAILED', message: `refresh token refused at the token realm: ${err.message}`, method: 'POST', url: realm.toString(), status: err.status, errors: err.errors, temporary: false });
    }
    throw err;
  }
  return readTokenResponse(res, 'POST', realm);
}
