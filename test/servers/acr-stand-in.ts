/**
 * The ACR stand-in: a real `docker-registry` with `auth.token` behind a front on one loopback
 * host:port (the login server, which is also the token `service`), as an Azure Container
 * Registry with the admin user and anonymous pull disabled looks to a client:
 *
 * - `/v2/...` is passed to the registry, which answers 401 `Bearer realm="http://<front>/oauth2/token",service="<front>"`
 *   to anonymous callers and accepts only the front's own access tokens. A `Basic` Authorization
 *   is refused by the front (401) before it reaches the registry.
 * - `/oauth2/exchange`, `/oauth2/token`: acr-token-service.ts (Entra ID token → refresh token →
 *   repository-scoped access token).
 * - `/acr/v1/{name}/_tags[/{reference}]`: the tag metadata API of the same spec (TagList,
 *   TagAttributes, TagChangeableAttributes; examples GetTagList.json, UpdateTagAttributes.json),
 *   with `metadata_read` / `metadata_write` in the access token.
 * - A tag with `writeEnabled: false` cannot be pushed to (405 `DENIED`, "The operation is
 *   disallowed on this registry, repository or image.", the message ACR gives; the status is
 *   this stand-in's choice: basegate must not depend on it), nor a manifest deleted while a tag
 *   with `deleteEnabled: false` points at it. ARM importImage, which ACR runs server side,
 *   writes through the front too (`adminTarget()`), so a locked tag stops an import as well.
 *
 * Strict: malformed token requests and unknown routes are violations; `assertDone()` throws on them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RawTarget } from '../helpers/raw-registry';
import { AcrTagMetadata } from './acr-tag-metadata';
import { ACR_STAND_IN_ISSUER, AcrTokenService } from './acr-token-service';
import type { EntraAuthority } from './entra-authority';
import { startRegistry, type RegistryServer } from './registry-server';

export interface AcrStandInOptions {
  authority: EntraAuthority;
  /** Actions the identity holds (its role assignments). Default: everything basegate uses. */
  permissions?: string[];
  /** Lifetime of refresh tokens (ACR: about 3 h). */
  refreshTokenSeconds?: number;
  /** Lifetime of access tokens (ACR: about 75 min). */
  accessTokenSeconds?: number;
}

export class AcrStandIn {
  /** `/v2` requests refused at the front (Basic) or by the registry (401), and locked-tag refusals. */
  readonly refusals: Array<{ method: string; path: string; status: number; why: string }> = [];

  private constructor(
    /** `127.0.0.1:PORT`: the login server and token service. */
    readonly host: string,
    readonly tokens: AcrTokenService,
    readonly metadata: AcrTagMetadata,
    private readonly front: http.Server,
    private readonly registry: RegistryServer,
    private readonly dir: string,
    /** Contract breaches seen: `assertDone()` throws on them. */
    readonly violations: string[],
  ) {}

  static async start(options: AcrStandInOptions): Promise<AcrStandIn> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-acr-'));
    const front = http.createServer();
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
    const violations: string[] = [];
    const tokens = new AcrTokenService(dir, host, options.authority, {
      permissions: options.permissions ?? ['pull', 'push', 'delete', 'metadata_read', 'metadata_write'],
      refreshTokenSeconds: options.refreshTokenSeconds ?? 3 * 3600,
      accessTokenSeconds: options.accessTokenSeconds ?? 75 * 60,
      violation: (m) => violations.push(m),
    });
    const registry = await startRegistry({ auth: 'token', externalTokenAuth: { realm: `http://${host}/oauth2/token`, service: host, issuer: ACR_STAND_IN_ISSUER, certPath: tokens.certPath } });
    const metadata = new AcrTagMetadata(host, tokens, { host: registry.host, token: async (repo) => tokens.accessToken([{ type: 'repository', name: repo, actions: ['pull'] }]) });
    const standIn = new AcrStandIn(host, tokens, metadata, front, registry, dir, violations);
    front.on('request', (req, res) => void standIn.handle(req, res).catch((err: unknown) => {
      standIn.violations.push(`front failed on ${req.method} ${req.url}: ${(err as Error).stack}`);
      if (!res.headersSent) res.writeHead(500).end();
    }));
    return standIn;
  }

  /** What ACR itself uses for server-side writes (importImage): full access to a repository, through the front. */
  adminTarget(): RawTarget {
    return { host: this.host, token: async (repo) => this.tokens.accessToken([{ type: 'repository', name: repo, actions: ['pull', 'push', 'delete'] }], 'acr-import') };
  }

  /** Token-service calls to one endpoint that succeeded. */
  count(endpoint: 'exchange' | 'token'): number {
    return this.tokens.calls.filter((c) => c.endpoint === endpoint && c.ok).length;
  }

  /** Returns and clears the violations (a test that provokes refusals on purpose). */
  takeViolations(): string[] {
    return this.violations.splice(0);
  }

  assertDone(): void {
    if (this.violations.length > 0) throw new Error(`ACR stand-in:\n- ${this.violations.join('\n- ')}`);
  }

  async stop(): Promise<void> {
    this.front.closeAllConnections();
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
    await this.registry.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
    };
    if (url.pathname.startsWith('/v2/') || url.pathname === '/v2') return this.registryRequest(req, res, url);
    const body = await readBody(req);
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion !== null && apiVersion !== '2021-07-01') this.violations.push(`${req.method} ${url.pathname}: api-version ${apiVersion}`);
    if (url.pathname === '/oauth2/exchange' || url.pathname === '/oauth2/token') {
      if (req.method === 'GET' && url.pathname === '/oauth2/token') {
        const r = this.tokens.login(String(req.headers.authorization ?? '').startsWith('Basic '));
        return reply(r.status, r.json);
      }
      if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        this.violations.push(`${req.method} ${url.pathname} with content-type ${req.headers['content-type']}`);
        return reply(400, { errors: [{ code: 'BAD_REQUEST', message: 'expected a form POST' }] });
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const r = url.pathname === '/oauth2/exchange' ? this.tokens.exchange(form) : this.tokens.token(form);
      return reply(r.status, r.json);
    }
    const tags = /^\/acr\/v1\/(.+?)\/_tags(?:\/([^/]+))?$/.exec(url.pathname);
    if (tags) {
      const r = await this.metadata.handle(req.method ?? 'GET', tags[1], tags[2] === undefined ? undefined : decodeURIComponent(tags[2]), bearer(req), body, url.searchParams);
      if (r.violation) this.violations.push(r.violation);
      return reply(r.status, r.json, r.headers);
    }
    this.violations.push(`unexpected request ${req.method} ${url.pathname}`);
    return reply(404, { errors: [{ code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` }] });
  }

  /** `/v2`: Basic refused here, locked tags enforced here, the rest passed to the registry as is. */
  private async registryRequest(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const deny = (status: number, code: string, message: string, why: string, headers: Record<string, string> = {}) => {
      this.refusals.push({ method, path: url.pathname, status, why });
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ errors: [{ code, message }] }));
    };
    if (String(req.headers.authorization ?? '').startsWith('Basic ')) {
      return deny(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', 'basic', { 'www-authenticate': `Bearer realm="http://${this.host}/oauth2/token",service="${this.host}"` });
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest && (method === 'PUT' || method === 'DELETE')) {
      const locked = method === 'PUT' ? this.metadata.writeLocked(manifest[1], manifest[2]) : await this.metadata.deleteLocked(manifest[1], manifest[2]);
      if (locked) return deny(405, 'DENIED', 'The operation is disallowed on this registry, repository or image.', `locked ${manifest[1]}:${locked}`);
    }
    const upstream = http.request({ host: '127.0.0.1', port: this.registry.port, method, path: `${url.pathname}${url.search}`, headers: req.headers }, (answer) => {
      if (answer.statusCode === 401) this.refusals.push({ method, path: url.pathname, status: 401, why: req.headers.authorization ? 'token' : 'anonymous' });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      this.violations.push(`registry unreachable: ${err.message}`);
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(upstream);
  }
}

function bearer(req: http.IncomingMessage): string | undefined {
  const value = String(req.headers.authorization ?? '');
  return value.startsWith('Bearer ') ? value.slice(7) : undefined;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
