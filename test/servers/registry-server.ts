/**
 * Starts a real CNCF distribution registry (Debian's `docker-registry`, 2.8) on a free loopback
 * port: anonymous, htpasswd Basic auth, or token auth against {@link startTokenIssuer}.
 * Config reference: https://distribution.github.io/distribution/about/configuration/
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canConnect, freePort, waitFor } from './free-port';
import { startTokenIssuer, type TokenIssuer } from './token-issuer';

export type RegistryAuth = 'anonymous' | 'basic' | 'token';

export interface RegistryServerOptions {
  auth?: RegistryAuth;
  /** Users for basic and token auth. */
  users?: Record<string, string>;
  /** Token lifetime for token auth. */
  tokenExpiresIn?: number;
  /** Token auth against an issuer the caller runs (the ACR stand-in's /oauth2/token) instead of a new token-issuer.ts. */
  externalTokenAuth?: { realm: string; service: string; issuer: string; certPath: string };
  /** Run as a pull-through cache of this upstream (`proxy.remoteurl`, `http://127.0.0.1:PORT`): the stand-in for ACR Artifact Cache. */
  proxyRemoteUrl?: string;
}

export interface RegistryServer {
  /** `127.0.0.1:PORT`, the registry part of references. */
  host: string;
  port: number;
  auth: RegistryAuth;
  users: Record<string, string>;
  dir: string;
  pid: number;
  tokenIssuer?: TokenIssuer;
  stop(): Promise<void>;
}

export const TEST_USERS = { basegate: 'test-password-0f3a' };

function registryConfig(port: number, dir: string, auth: string, proxyRemoteUrl?: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: basegate-test-secret',
    ...(proxyRemoteUrl ? ['proxy:', `  remoteurl: ${proxyRemoteUrl}`] : []),
    auth,
  ].join('\n');
}

/** Starts one registry and resolves when `/v2/` answers. */
export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const auth = options.auth ?? 'anonymous';
  const users = options.users ?? TEST_USERS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `basegate-registry-${auth}-`));
  const port = await freePort();
  let authYaml = '';
  let tokenIssuer: TokenIssuer | undefined;
  if (auth === 'basic') {
    const htpasswd = path.join(dir, 'htpasswd');
    fs.writeFileSync(htpasswd, '');
    for (const [user, password] of Object.entries(users)) execFileSync('htpasswd', ['-bB', htpasswd, user, password], { stdio: 'ignore' });
    authYaml = ['auth:', '  htpasswd:', '    realm: basegate-test', `    path: ${htpasswd}`].join('\n');
  } else if (auth === 'token' && options.externalTokenAuth) {
    const t = options.externalTokenAuth;
    authYaml = ['auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.certPath}`].join('\n');
  } else if (auth === 'token') {
    tokenIssuer = await startTokenIssuer({ dir, service: `registry-${port}`, users, expiresIn: options.tokenExpiresIn });
    authYaml = [
      'auth:',
      '  token:',
      `    realm: ${tokenIssuer.realm}`,
      `    service: ${tokenIssuer.service}`,
      '    issuer: basegate-test-issuer',
      `    rootcertbundle: ${tokenIssuer.certPath}`,
    ].join('\n');
  }
  const configPath = path.join(dir, 'config.yml');
  fs.writeFileSync(configPath, registryConfig(port, dir, authYaml, options.proxyRemoteUrl));
  const child: ChildProcess = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(`docker-registry on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
      return canConnect(port);
    });
  } catch (err) {
    child.kill('SIGKILL');
    await tokenIssuer?.close();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    auth,
    users,
    dir,
    pid: child.pid ?? -1,
    tokenIssuer,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await tokenIssuer?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
