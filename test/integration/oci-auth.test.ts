/**
 * RemoteRegistry authentication against real docker-registry instances: anonymous, htpasswd
 * Basic and token auth (a test issuer signing JWTs, as Docker Hub and ACR do). The token cache
 * is observed from the issuer's own request log; 401s and redirects are injected by the fault
 * proxy in front of the real registry.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { RegistryError } from '../../functions/errors';
import { OCI_INDEX } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { DEFAULTS } from '../../functions/oci/registry/options';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawPushBlob, sha256, type RawTarget } from '../helpers/raw-registry';
import { startRegistry, type RegistryServer } from '../servers/registry-server';
import { testEnv, uniqueRepo } from '../servers/test-env';

type Mode = 'anonymous' | 'basic' | 'token';

function target(mode: Mode): RawTarget {
  const env = testEnv().registries[mode];
  const [username, password] = 'users' in env ? Object.entries(env.users)[0] : [];
  return { host: env.host, username, password };
}

function credentials(t: RawTarget): { username?: string; password?: string } {
  return t.username ? { username: t.username, password: t.password } : {};
}

const clients: RemoteRegistry[] = [];
function client(...args: ConstructorParameters<typeof RemoteRegistry>): RemoteRegistry {
  const c = new RemoteRegistry(...args);
  clients.push(c);
  return c;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

describe.each(['anonymous', 'basic', 'token'] as const)('%s registry', (mode) => {
  const t = target(mode);
  const repo = uniqueRepo(`auth-${mode}`);
  const image = synthImage({ seed: `auth-${mode}`, layers: 2, layerSize: 2048 });
  const registry = client({ hosts: { [t.host]: credentials(t) } });
  const ref = parseReference(`${t.host}/${repo}:v1`);

  beforeAll(async () => {
    await pushImage(t, repo, ['v1'], image);
  });

  it('pings, reads a multi-arch manifest, a blob and the tags', async () => {
    await registry.ping(ref);
    const head = await registry.manifestHead(ref);
    expect(head).toEqual({ digest: image.digest, mediaType: OCI_INDEX, size: image.bytes.length });
    const manifest = await registry.manifestGet(ref);
    expect(manifest.bytes.equals(image.bytes)).toBe(true);
    const [digest, bytes] = [...image.blobs.entries()][0];
    const chunks: Buffer[] = [];
    for await (const c of await registry.blobGet(ref, { digest, size: bytes.length })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(await registry.tagList(ref)).toEqual(['v1']);
  });

  if (mode !== 'anonymous') {
    it('is refused with wrong credentials', async () => {
      const wrong = client({ hosts: { [t.host]: { username: t.username!, password: 'wrong-password' } } });
      const err = await wrong.ping(ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe(mode === 'basic' ? 'UNAUTHORIZED' : 'AUTH_FAILED');
      expect((err as RegistryError).temporary).toBe(false);
      expect((err as Error).message).not.toContain('wrong-password');
    });

    it('lets anonymous callers pull only as the registry allows', async () => {
      const anonymous = client();
      if (mode === 'basic') {
        const err = await anonymous.manifestHead(ref).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
      } else {
        // The issuer grants anonymous callers pull only, as Docker Hub does: reads work, pushes do not.
        expect(await anonymous.manifestHead(ref)).toMatchObject({ digest: image.digest });
        const err = await anonymous.manifestPut(ref.withTag('anon'), { mediaType: image.mediaType, bytes: image.bytes }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryError);
        expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401, temporary: false });
      }
    });
  }
});

describe('basic auth: challenge discovery', () => {
  let proxy: FaultProxy;
  const t = () => target('basic');
  const repo = uniqueRepo('auth-discovery');
  const image = synthImage({ seed: 'auth-discovery', platforms: ['linux/amd64'], layers: 1, layerSize: 256 });
  beforeAll(async () => {
    await pushImage(t(), repo, ['v1'], image);
    proxy = await startFaultProxy({ upstream: `http://${t().host}` });
  });
  afterAll(() => proxy?.stop());

  it('pushes a manifest as the very first request to a host; the ping carries none of its headers', async () => {
    proxy.reset();
    const registry = client({ hosts: { [proxy.host]: credentials(t()) } });
    const ref = parseReference(`${proxy.host}/${repo}:first`);
    expect(await registry.manifestPut(ref, { mediaType: image.mediaType, bytes: image.bytes })).toBe(image.digest);
    const ping = proxy.log.find((e) => e.path === '/v2/');
    expect(ping).toMatchObject({ method: 'GET', status: 401 });
    expect(ping?.requestHeaders['content-type']).toBeUndefined();
    expect(ping?.requestHeaders['content-length']).toBeUndefined();
    expect(proxy.log.every((e) => e.requestHeaders['user-agent'] === DEFAULTS.userAgent)).toBe(true);
    expect(await registry.manifestHead(ref)).toMatchObject({ digest: image.digest });
  });

  it('learns the challenge from a 401 when the ping let it in anonymously', async () => {
    proxy.clearLog();
    proxy.setRules([{ method: 'GET', path: /^\/v2\/$/, respond: { status: 200, body: '{}' } }]);
    const registry = client({ hosts: { [proxy.host]: credentials(t()) } });
    const ref = parseReference(`${proxy.host}/${repo}:v1`);
    await registry.manifestHead(ref);
    await registry.manifestHead(ref);
    const heads = proxy.log.filter((e) => e.method === 'HEAD');
    expect(heads.map((e) => [e.status, e.requestHeaders.authorization?.split(' ')[0]])).toEqual([
      [401, undefined],
      [200, 'Basic'],
      [200, 'Basic'],
    ]);
  });
});

describe('token auth: cache, expiry, refresh', () => {
  let server: RegistryServer;
  let shortLived: RegistryServer;
  let proxy: FaultProxy;
  const repo = uniqueRepo('token-cache');
  const image = synthImage({ seed: 'token-cache', platforms: ['linux/amd64'], layers: 1, layerSize: 512 });
  let t: RawTarget;

  beforeAll(async () => {
    [server, shortLived] = await Promise.all([startRegistry({ auth: 'token' }), startRegistry({ auth: 'token', tokenExpiresIn: 2 })]);
    t = { host: server.host, ...Object.fromEntries([['username', Object.keys(server.users)[0]], ['password', Object.values(server.users)[0]]]) };
    await pushImage(t, repo, ['v1', 'v2'], image);
    await pushImage({ ...t, host: shortLived.host }, repo, ['v1'], image);
    proxy = await startFaultProxy({ upstream: `http://${server.host}` });
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([server?.stop(), shortLived?.stop()]);
  });

  const issued = (s: RegistryServer, scope: string) => s.tokenIssuer!.requests.filter((r) => r.scope.includes(scope)).length;

  it('fetches one token per scope, however many requests use it', async () => {
    const registry = client({ hosts: { [server.host]: { username: t.username, password: t.password } } });
    const before = server.tokenIssuer!.requests.length;
    const ref = parseReference(`${server.host}/${repo}:v1`);
    await Promise.all([registry.manifestHead(ref), registry.manifestHead(ref.withTag('v2')), registry.manifestGet(ref)]);
    await registry.manifestHead(ref);
    expect(server.tokenIssuer!.requests.length - before).toBe(1);
    expect(server.tokenIssuer!.requests.at(-1)).toEqual({ scope: [`repository:${repo}:pull`], user: t.username });
    // A push needs another scope, hence one more token.
    const blob = Buffer.from('token-cache-push');
    await registry.blobPut(ref, { digest: sha256(blob), size: blob.length }, () => Readable.from([blob]));
    expect(server.tokenIssuer!.requests.length - before).toBe(2);
    expect(server.tokenIssuer!.requests.at(-1)!.scope).toEqual([`repository:${repo}:pull,push`]);
  });

  it('fetches a new token once the cached one expires', async () => {
    const registry = client({ hosts: { [shortLived.host]: { username: t.username, password: t.password } } });
    const ref = parseReference(`${shortLived.host}/${repo}:v1`);
    const scope = `repository:${repo}:pull`;
    const before = issued(shortLived, scope);
    await registry.manifestHead(ref);
    await registry.manifestHead(ref);
    expect(issued(shortLived, scope) - before).toBe(1);
    await new Promise((r) => setTimeout(r, 2100)); // expires_in is 2 s
    await registry.manifestHead(ref);
    expect(issued(shortLived, scope) - before).toBe(2);
  });

  it('refreshes the token once on a 401 and succeeds', async () => {
    const registry = client({ hosts: { [proxy.host]: { username: t.username, password: t.password } } });
    const ref = parseReference(`${proxy.host}/${repo}:v1`);
    const challenge = `Bearer realm="${server.tokenIssuer!.realm}",service="${server.tokenIssuer!.service}",scope="repository:${repo}:pull"`;
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, nth: 2, respond: { status: 401, headers: { 'www-authenticate': challenge } } }]);
    proxy.clearLog();
    const before = server.tokenIssuer!.requests.length;
    await registry.manifestHead(ref);
    expect(await registry.manifestHead(ref)).toMatchObject({ digest: image.digest });
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(3);
    expect(server.tokenIssuer!.requests.length - before).toBe(2);
  });

  it('refreshes exactly once: a second 401 is the caller’s error', async () => {
    const registry = client({ hosts: { [proxy.host]: { username: t.username, password: t.password } } });
    const ref = parseReference(`${proxy.host}/${repo}:v1`);
    const challenge = `Bearer realm="${server.tokenIssuer!.realm}",service="${server.tokenIssuer!.service}",scope="repository:${repo}:pull"`;
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, respond: { status: 401, headers: { 'www-authenticate': challenge, 'content-type': 'application/json' }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}' } }]);
    proxy.clearLog();
    const before = server.tokenIssuer!.requests.length;
    const err = await registry.manifestGet(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401, errors: [{ code: 'UNAUTHORIZED' }] });
    expect(proxy.count('GET', /\/manifests\//)).toBe(2);
    expect(server.tokenIssuer!.requests.length - before).toBe(2);
  });

  it('sends a configured token as is, without a token exchange', async () => {
    const realm = new URL(server.tokenIssuer!.realm);
    realm.searchParams.set('service', server.tokenIssuer!.service);
    realm.searchParams.set('scope', `repository:${repo}:pull`);
    const res = await request(realm, { headers: { authorization: `Basic ${Buffer.from(`${t.username}:${t.password}`).toString('base64')}` } });
    const { token } = (await res.body.json()) as { token: string };
    const registry = client({ hosts: { [server.host]: { token } } });
    const before = server.tokenIssuer!.requests.length;
    expect(await registry.manifestHead(parseReference(`${server.host}/${repo}:v1`))).toMatchObject({ digest: image.digest });
    expect(server.tokenIssuer!.requests.length).toBe(before);
  });

  it('never sends Authorization to another host on a redirect', async () => {
    // The blob lives on a second (anonymous) registry, behind a second proxy that logs headers.
    const storage = await startFaultProxy({ upstream: `http://${testEnv().registries.anonymous.host}` });
    try {
      const blob = Buffer.from('redirected blob bytes');
      const digest = await rawPushBlob({ host: testEnv().registries.anonymous.host }, repo, blob);
      proxy.setRules([{ method: 'GET', path: /\/blobs\/sha256:/, respond: { status: 307, headers: { location: `http://${storage.host}/v2/${repo}/blobs/${digest}` } } }]);
      proxy.clearLog();
      const registry = client({ hosts: { [proxy.host]: { username: t.username, password: t.password } } });
      const chunks: Buffer[] = [];
      for await (const c of await registry.blobGet(parseReference(`${proxy.host}/${repo}:v1`), { digest, size: blob.length })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(blob)).toBe(true);
      const atRegistry = proxy.log.find((e) => e.method === 'GET' && e.path.includes('/blobs/'));
      expect(atRegistry?.requestHeaders.authorization).toMatch(/^Bearer /);
      const atStorage = storage.log.filter((e) => e.path.includes('/blobs/'));
      expect(atStorage).toHaveLength(1);
      expect(atStorage[0].requestHeaders.authorization).toBeUndefined();
    } finally {
      proxy.setRules([]);
      await storage.stop();
    }
  });
});
