/**
 * Test stand-in for a registry token service (Docker Hub's auth.docker.io, ACR's /oauth2/token),
 * following the Docker token authentication contract:
 * https://distribution.github.io/distribution/spec/auth/token/ and .../auth/jwt/
 *
 * `GET <realm>?service=S&scope=repository:NAME:pull,push` with optional Basic credentials
 * answers `{ token, access_token, expires_in, issued_at }`. The token is an RS256 JWT that the
 * real `docker-registry` (configured with `auth.token` and this issuer's certificate) verifies.
 * Unknown credentials get 401; anonymous callers get pull only (as on Docker Hub).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface TokenIssuerOptions {
  dir: string;
  service: string;
  users: Record<string, string>;
  /** Seconds a token lives (`expires_in`). */
  expiresIn?: number;
}

export interface TokenIssuer {
  realm: string;
  service: string;
  certPath: string;
  /** Every token request seen: scope and user. */
  requests: Array<{ scope: string[]; user: string | undefined }>;
  close(): Promise<void>;
}

/** Creates a key and a self-signed certificate with openssl (the registry's rootcertbundle). */
export function makeSigningKey(dir: string): { keyPath: string; certPath: string } {
  const keyPath = path.join(dir, 'token.key');
  const certPath = path.join(dir, 'token.crt');
  if (!fs.existsSync(certPath)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=basegate-test-issuer'], { stdio: 'ignore' });
  }
  return { keyPath, certPath };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const { keyPath, certPath } = makeSigningKey(options.dir);
  const key = createPrivateKey(fs.readFileSync(keyPath));
  const cert = new X509Certificate(fs.readFileSync(certPath));
  const x5c = cert.raw.toString('base64');
  const requests: TokenIssuer['requests'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [name, ...pw] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (options.users[name] !== pw.join(':')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    requests.push({ scope: scopes, user });
    const access = scopes.map((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = rest.pop() ?? '';
      const name = rest.join(':');
      const asked = actions.split(',').filter(Boolean);
      return { type, name, actions: user ? asked : asked.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const header = { alg: 'RS256', typ: 'JWT', x5c: [x5c] };
    const claims = { iss: 'basegate-test-issuer', sub: user ?? '', aud: options.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${unsigned}.${b64url(sign('sha256', Buffer.from(unsigned), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: options.service,
    certPath,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
