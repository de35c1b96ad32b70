/**
 * Credentials stay with their registry, tried as a hostile registry would: a stand-in that
 * serves https and plain http on one port and logs every header it receives
 * (test/servers/hostile-registry.ts) names token realms, upload Locations, Link pages and
 * redirects wherever it likes. No Authorization header may reach anything but the registry's
 * own origin or a token realm allowed for it (functions/oci/registry/token-realm.ts, origin.ts).
 * A trusted registry is the real docker-registry with token auth from the global setup; a
 * 200,000-tag listing runs in a child process whose peak RSS is measured.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { RegistryError } from '../../functions/errors';
import { OCI_INDEX, OCI_MANIFEST } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { basicAuthorization } from '../../functions/oci/registry/auth';
import { parseChallenges } from '../../functions/oci/registry/challenge';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import type { RegistryClientOptions } from '../../functions/oci/registry/options';
import { pushImage, synthImage } from '../helpers/image-synth';
import { sha256 } from '../helpers/raw-registry';
import { startHostileRegistry, type HostileRegistry, type HostileReply, type LoggedRequest } from '../servers/hostile-registry';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';

const USER = 'hostile-user';
const PASSWORD = 'hostile-password-9f3a';
const BASIC = basicAuthorization(USER, PASSWORD);
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [] }));

let hostile: HostileRegistry;
const clients: RemoteRegistry[] = [];
beforeAll(async () => {
  hostile = await startHostileRegistry();
});
afterEach(() => {
  hostile.log.length = 0;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await hostile.close();
});

function client(options: RegistryClientOptions): RemoteRegistry {
  const c = new RemoteRegistry({ retry: { maxAttempts: 1 }, ...options });
  clients.push(c);
  return c;
}

/** A client holding Basic credentials for the stand-in, reached over https. */
function hostileClient(extra: { tokenRealms?: string[] } = {}): RemoteRegistry {
  return client({ hosts: { [hostile.host]: { username: USER, password: PASSWORD, insecure: false, ...extra } }, ca: hostile.ca });
}

const unauthorized = (challenge: string): HostileReply => ({ status: 401, headers: { 'www-authenticate': challenge }, body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] } });
const withAuth = (log: LoggedRequest[]): LoggedRequest[] => log.filter((r) => r.headers.authorization !== undefined);
/** Requests that reached the stand-in somewhere other than its own https origin. */
const offOrigin = (r: LoggedRequest): boolean => r.scheme !== 'https' || r.host !== hostile.host;

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('token realms', () => {
  it('refuses an http:// realm on the registry’s own host and port: nothing goes there', async () => {
    const realm = `http://${hostile.host}/token`;
    hostile.handle(() => unauthorized(`Bearer realm="${realm}",service="hostile"`));
    const err = await rejection(hostileClient().manifestHead(parseReference(`${hostile.host}/app:v1`)));
    expect(err).toMatchObject({ code: 'AUTH_REALM_REFUSED', temporary: false });
    expect(err.message).toContain(realm);
    expect(err.message).toMatch(/over https only/);
    expect(hostile.log.filter((r) => r.scheme === 'http')).toEqual([]);
    expect(withAuth(hostile.log)).toEqual([]);
    expect(hostile.log.length).toBeGreaterThan(0); // the ping and the challenge did arrive
  });

  it('refuses a realm on another host: the Basic credentials never leave', async () => {
    const realm = `https://localhost:${hostile.port}/token`;
    hostile.handle(() => unauthorized(`Bearer realm="${realm}",service="hostile"`));
    const err = await rejection(hostileClient().manifestHead(parseReference(`${hostile.host}/app:v1`)));
    expect(err).toMatchObject({ code: 'AUTH_REALM_REFUSED' });
    expect(err.message).toContain(`https://localhost:${hostile.port}/token`);
    expect(err.message).toMatch(/tokenRealms/);
    expect(hostile.log.filter((r) => r.host.startsWith('localhost'))).toEqual([]);
    expect(withAuth(hostile.log)).toEqual([]);
  });

  it('works with an auth.docker.io-style realm on a host of its own once that host is allowed', async () => {
    // Docker Hub: registry-1.docker.io challenges with realm https://auth.docker.io/token (built in);
    // here the token service is `localhost`, allowed by config the same way.
    const realm = `https://localhost:${hostile.port}/token`;
    hostile.handle((r) => {
      if (r.host.startsWith('localhost')) {
        if (r.path !== '/token' || r.headers.authorization !== BASIC) return { status: 401, body: { details: 'bad credentials' } };
        expect(r.query.get('service')).toBe('hostile');
        expect(r.query.getAll('scope')).toEqual(['repository:app:pull']);
        return { status: 200, body: { token: 'issued-bearer', expires_in: 300 } };
      }
      if (r.headers.authorization !== 'Bearer issued-bearer') return unauthorized(`Bearer realm="${realm}",service="hostile"`);
      return { status: 200, headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256(MANIFEST), 'content-length': String(MANIFEST.length) } };
    });
    const head = await hostileClient({ tokenRealms: ['localhost'] }).manifestHead(parseReference(`${hostile.host}/app:v1`));
    expect(head).toMatchObject({ digest: sha256(MANIFEST), mediaType: OCI_MANIFEST });
    const basic = hostile.log.filter((r) => r.headers.authorization?.startsWith('Basic '));
    expect(basic.map((r) => `${r.scheme}://${r.host}${r.path}`)).toEqual([`https://localhost:${hostile.port}/token`]);
    const atRegistry = hostile.log.filter((r) => r.host === hostile.host && r.headers.authorization);
    expect(atRegistry.map((r) => r.headers.authorization)).toEqual(['Bearer issued-bearer']);
    expect(hostile.log.filter((r) => r.scheme === 'http')).toEqual([]);
  });
});

describe('URLs the registry hands out', () => {
  /** Basic auth on every request to the registry: the most valuable header to leak. */
  const basicRegistry = (route: (r: LoggedRequest) => HostileReply | undefined) => (r: LoggedRequest): HostileReply => {
    if (r.scheme === 'https' && r.headers.authorization !== BASIC) return unauthorized('Basic realm="hostile"');
    return route(r) ?? { status: 404, body: { errors: [{ code: 'NAME_UNKNOWN', message: 'no such thing' }] } };
  };

  it('sends no Authorization to an http:// upload Location on the registry’s own host and port', async () => {
    const blob = Buffer.from('a blob for a hostile upload session');
    hostile.handle(
      basicRegistry((r): HostileReply | undefined => {
        if (r.method === 'POST' && r.path === '/v2/app/blobs/uploads/') return { status: 202, headers: { location: `http://${hostile.host}/v2/app/blobs/uploads/session-1` } };
        if (r.method === 'PUT' && r.path === '/v2/app/blobs/uploads/session-1') return { status: 201, headers: { 'docker-content-digest': sha256(blob) } };
        return undefined;
      }),
    );
    await hostileClient().blobPut(parseReference(`${hostile.host}/app:v1`), { digest: sha256(blob), size: blob.length }, () => Readable.from([blob]));
    const put = hostile.log.find((r) => r.method === 'PUT');
    expect(put).toMatchObject({ scheme: 'http', host: hostile.host, path: '/v2/app/blobs/uploads/session-1' });
    expect(put!.headers.authorization).toBeUndefined();
    expect(withAuth(hostile.log).filter(offOrigin)).toEqual([]);
    expect(hostile.log.find((r) => r.method === 'POST')?.headers.authorization).toBe(BASIC);
  });

  it('refuses an http:// Link page of a tag list on the registry’s own host and port', async () => {
    hostile.handle(
      basicRegistry((r): HostileReply | undefined => {
        if (r.path === '/v2/app/tags/list') return { status: 200, headers: { link: `<http://${hostile.host}/v2/app/tags/list?n=1000&last=b>; rel="next"` }, body: { name: 'app', tags: ['a', 'b'] } };
        return undefined;
      }),
    );
    const err = await rejection(hostileClient().tagList(parseReference(`${hostile.host}/app`)));
    expect(err).toMatchObject({ code: 'PROTOCOL' });
    expect(err.message).toContain(`next page outside the registry (http://${hostile.host}, expected https://${hostile.host})`);
    expect(hostile.log.filter(offOrigin)).toEqual([]);
  });

  it('refuses an http:// Link page of the referrers API on the registry’s own host and port', async () => {
    const digest = sha256(MANIFEST);
    hostile.handle(
      basicRegistry((r): HostileReply | undefined => {
        if (r.path === `/v2/app/referrers/${digest}`) {
          return { status: 200, headers: { 'content-type': OCI_INDEX, link: `<http://${hostile.host}/v2/app/referrers/${digest}?last=x>; rel="next"` }, body: { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] } };
        }
        return undefined;
      }),
    );
    const err = await rejection(hostileClient().referrers(parseReference(`${hostile.host}/app@${digest}`)));
    expect(err.message).toContain('next page outside the registry');
    expect(hostile.log.filter(offOrigin)).toEqual([]);
  });

  it('follows an http:// redirect on the registry’s own host and port without Authorization', async () => {
    const blob = Buffer.from('redirected to plain http');
    hostile.handle(
      basicRegistry((r): HostileReply | undefined => {
        if (r.scheme === 'https' && r.path === `/v2/app/blobs/${sha256(blob)}`) return { status: 307, headers: { location: `http://${hostile.host}/storage/blob` } };
        if (r.scheme === 'http' && r.path === '/storage/blob') return { status: 200, headers: { 'content-length': String(blob.length) }, body: blob };
        return undefined;
      }),
    );
    const chunks: Buffer[] = [];
    for await (const c of await hostileClient().blobGet(parseReference(`${hostile.host}/app:v1`), { digest: sha256(blob), size: blob.length })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    expect(hostile.log.filter(offOrigin).map((r) => [r.scheme, r.path, r.headers.authorization])).toEqual([['http', '/storage/blob', undefined]]);
  });
});

describe('another registry’s realm and service', () => {
  const trusted = registryLogin('token');
  const repo = uniqueRepo('hostile-realm');
  let service: string;
  const trustedRealm = (): string => testEnv().registries.token.realm;

  beforeAll(async () => {
    await pushImage({ host: trusted.host, username: trusted.username, password: trusted.password }, repo, ['v1'], synthImage({ seed: 'hostile-realm', layers: 1, layerSize: 512 }));
    const ping = await request(`http://${trusted.host}/v2/`);
    await ping.body.dump();
    service = parseChallenges(ping.headers['www-authenticate'] as string)[0].params.service;
  });

  /** The `sub` claim of a bearer JWT: the user the token was issued to ('' for anonymous). */
  const subject = (authorization: string): string => JSON.parse(Buffer.from(authorization.replace(/^Bearer /, '').split('.')[1], 'base64url').toString()).sub;

  it('never hands a hostile registry the token cached for the trusted one', async () => {
    // One client, credentials for the trusted registry only; the hostile one (plain http on
    // loopback, so an http realm on its host name passes) names the trusted realm, service and scope.
    const c = client({ hosts: { [trusted.host]: { username: trusted.username, password: trusted.password } } });
    await c.manifestHead(parseReference(`${trusted.host}/${repo}:v1`)); // caches the trusted user's pull token
    hostile.handle((r) => {
      if (r.headers.authorization?.startsWith('Bearer ')) return { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'gone' }] } };
      return unauthorized(`Bearer realm="${trustedRealm()}",service="${service}",scope="repository:${repo}:pull"`);
    });
    expect(await c.manifestHead(parseReference(`${hostile.host}/${repo}:v1`))).toBeUndefined();
    const bearers = withAuth(hostile.log).map((r) => r.headers.authorization!);
    expect(bearers.length).toBeGreaterThan(0);
    for (const b of bearers) expect(subject(b)).toBe(''); // an anonymous token of its own, never the trusted user's
    expect(hostile.log.some((r) => r.headers.authorization?.startsWith('Basic '))).toBe(false);
  });

  it('refuses the trusted realm named by a registry on another host, before sending its credentials', async () => {
    const hostileName = `localhost:${hostile.port}`;
    const c = client({ hosts: { [trusted.host]: { username: trusted.username, password: trusted.password }, [hostileName]: { username: USER, password: PASSWORD } } });
    hostile.handle(() => unauthorized(`Bearer realm="${trustedRealm()}",service="${service}",scope="repository:${repo}:pull"`));
    const err = await rejection(c.manifestHead(parseReference(`${hostileName}/${repo}:v1`)));
    expect(err).toMatchObject({ code: 'AUTH_REALM_REFUSED' });
    expect(err.message).toContain(trustedRealm());
    expect(withAuth(hostile.log)).toEqual([]);
  });
});

describe('tag listings', () => {
  const TAGS = 200_000;
  const tagName = (i: number): string => `tag-${String(i).padStart(7, '0')}`;

  /** Runs the listing in a child (test/helpers/tag-list-child.ts) and returns what it printed. */
  function listInChild(host: string, maxTags?: number): Promise<{ code?: string; message?: string; count?: number; rssBeforeKb: number; maxRssKb: number }> {
    const child = spawn(process.execPath, ['-r', path.join(__dirname, '../helpers/ts-register.cjs'), path.join(__dirname, '../helpers/tag-list-child.ts'), host, String(maxTags ?? '')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`tag-list child exited ${code}: ${err}`));
        else resolve(JSON.parse(out));
      });
    });
  }

  it.each([
    ['in pages of n', (n: number, last: number) => ({ from: last, to: Math.min(TAGS, last + n) })],
    ['in one page that ignores n', (_n: number, last: number) => ({ from: last, to: TAGS })],
  ])('a 200,000-tag listing %s fails with a clear error while memory stays bounded', async (_name, page) => {
    hostile.handle((r) => {
      if (r.path === '/v2/') return { status: 200, body: {} };
      if (r.path !== '/v2/big/tags/list') return { status: 404 };
      const last = r.query.has('last') ? Number(r.query.get('last')!.slice(4)) + 1 : 0;
      const { from, to } = page(Number(r.query.get('n') ?? TAGS), last);
      const tags = Array.from({ length: to - from }, (_, i) => tagName(from + i));
      const link = to < TAGS ? { link: `</v2/big/tags/list?n=${r.query.get('n')}&last=${tagName(to - 1)}>; rel="next"` } : undefined;
      return { status: 200, headers: { 'content-type': 'application/json', ...link }, body: { name: 'big', tags } };
    });
    const result = await listInChild(hostile.host);
    expect(result.code).toBe('TAG_LIST_TOO_LONG');
    expect(result.message).toMatch(/tag list of .*big: more than 100000 tags \(raise registries\["127\.0\.0\.1:\d+"\]\.maxTags/);
    // Measured: the child's peak RSS over what it held before listing. 200,000 tags fully held
    // (the JSON page, the parsed array and the set) would cost well over this.
    const growthMb = (result.maxRssKb - result.rssBeforeKb) / 1024;
    process.stdout.write(`tag listing (${_name}): rss before ${(result.rssBeforeKb / 1024).toFixed(1)} MiB, peak ${(result.maxRssKb / 1024).toFixed(1)} MiB\n`);
    expect(growthMb).toBeLessThan(96);
  });

  it('lists all 200,000 tags when the cap is raised for the registry', async () => {
    hostile.handle((r) => {
      const last = r.query.has('last') ? Number(r.query.get('last')!.slice(4)) + 1 : 0;
      const to = Math.min(TAGS, last + Number(r.query.get('n')));
      const link = to < TAGS ? { link: `</v2/big/tags/list?n=${r.query.get('n')}&last=${tagName(to - 1)}>; rel="next"` } : undefined;
      return { status: 200, headers: { ...link }, body: { name: 'big', tags: Array.from({ length: to - last }, (_, i) => tagName(last + i)) } };
    });
    const result = await listInChild(hostile.host, 250_000);
    expect(result).toMatchObject({ count: TAGS });
  });
});
