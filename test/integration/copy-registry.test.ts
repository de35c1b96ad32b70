/**
 * copyImage against the real docker-registry 2.8 servers (anonymous, Basic, token auth), with
 * the fault proxy in front where a test needs the request log or a fault: registry → registry,
 * registry → layout, layout → registry. docker-registry 2.8 has no referrers API, so referrers
 * arrive through the referrers tag schema.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobLocations } from '../../functions/oci/blob-locations';
import { copyImage } from '../../functions/oci/copy';
import { LayoutRegistry } from '../../functions/oci/layout/layout-registry';
import { ImageRef, parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { indexSchema } from '../../functions/oci/schema';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, pushReferrer, synthImage, type SynthImage } from '../helpers/image-synth';
import { copyLayoutFixture, type LayoutFixture } from '../helpers/oci-layout-fixture';
import { rawGetBlob, rawGetManifest, rawPushManifest, rawTags, type RawTarget } from '../helpers/raw-registry';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';

const env = () => testEnv().registries;
const anonymous = (): RawTarget => ({ host: env().anonymous.host });
const basic = (): RawTarget => registryLogin('basic');
const token = (): RawTarget => registryLogin('token');

let remote: RemoteRegistry;
let proxy: FaultProxy;
const layouts = new LayoutRegistry();

beforeAll(async () => {
  const hosts: Record<string, { username: string; password: string }> = {};
  for (const t of [basic(), token()]) hosts[t.host] = { username: t.username!, password: t.password! };
  remote = new RemoteRegistry({ hosts, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  proxy = await startFaultProxy({ upstream: `http://${env().anonymous.host}` });
});
afterAll(async () => {
  await remote?.close();
  await proxy?.stop();
});
beforeEach(() => proxy.reset());

const at = (target: RawTarget, repository: string, id: { tag?: string; digest?: string } = {}): ImageRef => ImageRef.of({ registry: target.host, repository, ...id });

/** Every manifest and blob of the image is in the target repository, byte for byte. */
async function expectComplete(target: RawTarget, repo: string, image: SynthImage): Promise<void> {
  for (const m of image.manifests) expect((await rawGetManifest(target, repo, m.digest))?.bytes.equals(m.bytes)).toBe(true);
  for (const [digest, bytes] of image.blobs) expect((await rawGetBlob(target, repo, digest))?.equals(bytes)).toBe(true);
}

const layerDigests = (m: { bytes: Buffer }): string[] => (JSON.parse(m.bytes.toString()) as { layers: Array<{ digest: string }> }).layers.map((l) => l.digest);

describe('copyImage, registry → registry', () => {
  it.each([
    ['oci', 'anonymous → basic', anonymous, basic],
    ['docker', 'token → anonymous', token, anonymous],
  ] as const)('copies a multi-arch %s image (%s) verbatim: the index digest is preserved', async (format, _route, from, to) => {
    const image = synthImage({ seed: `copy-${format}`, format, layers: 2, layerSize: 20_000 });
    const srcRepo = uniqueRepo('copy-src');
    const dstRepo = uniqueRepo('copy-dst');
    await pushImage(from(), srcRepo, ['20-alpine'], image);
    const result = await copyImage({ source: remote, sourceRef: at(from(), srcRepo, { tag: '20-alpine', digest: image.digest }), target: remote, targetRef: at(to(), dstRepo), tags: ['20-alpine', '20-alpine-abc'] });
    expect(result).toMatchObject({ digest: image.digest, mediaType: image.mediaType, blobsUploaded: image.blobs.size, manifests: 3 });
    const got = await rawGetManifest(to(), dstRepo, '20-alpine');
    expect(got?.digest).toBe(image.digest);
    expect(got?.mediaType).toBe(image.mediaType);
    expect(got?.bytes.equals(image.bytes)).toBe(true);
    expect(await rawTags(to(), dstRepo)).toEqual(['20-alpine', '20-alpine-abc']);
    await expectComplete(to(), dstRepo, image);
  });

  it('a platform filter writes a valid, smaller index the registry accepts, and only that platform', async () => {
    const image = synthImage({ seed: 'copy-filter', platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] });
    const srcRepo = uniqueRepo('filter-src');
    const dstRepo = uniqueRepo('filter-dst');
    await pushImage(anonymous(), srcRepo, [], image);
    const result = await copyImage({ source: remote, sourceRef: at(anonymous(), srcRepo, { digest: image.digest }), target: remote, targetRef: at(basic(), dstRepo), tags: ['v1'], platforms: ['linux/amd64', 'linux/arm/v7'] });
    const got = await rawGetManifest(basic(), dstRepo, 'v1');
    expect(got?.digest).toBe(result.digest);
    expect(result.digest).not.toBe(image.digest);
    expect(got?.mediaType).toBe(image.mediaType);
    const index = indexSchema.parse(JSON.parse(got!.bytes.toString()));
    expect(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}${m.platform?.variant ? `/${m.platform.variant}` : ''}`)).toEqual(['linux/amd64', 'linux/arm/v7']);
    const arm64 = image.manifests.find((m) => m.platform?.architecture === 'arm64')!;
    expect(await rawGetManifest(basic(), dstRepo, arm64.digest)).toBeUndefined();
    for (const d of layerDigests(arm64)) expect(await rawGetBlob(basic(), dstRepo, d)).toBeUndefined();
  });

  it('looks the referrers of every manifest up in one tag listing: no request per subject when the source has none', async () => {
    const image = synthImage({ seed: 'copy-referrer-lookups', platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], layers: 1 });
    const srcRepo = uniqueRepo('lookups-src');
    await pushImage(anonymous(), srcRepo, ['v1'], image);
    const source = new RemoteRegistry(); // has not seen the registry answer the referrers API yet
    const result = await copyImage({ source, sourceRef: at({ host: proxy.host }, srcRepo, { tag: 'v1', digest: image.digest }), target: remote, targetRef: at(basic(), uniqueRepo('lookups-dst')), tags: ['v1'] });
    await source.close();
    expect(result).toMatchObject({ digest: image.digest, manifests: 4, referrers: 0 });
    const asked = (method: string, path: RegExp) => proxy.log.filter((e) => e.method === method && path.test(e.path)).length;
    expect(asked('GET', /\/tags\/list$/)).toBe(1);
    // The API is asked once: its 404 says it is not there, and the other three subjects go by the tag list.
    expect(asked('GET', /\/referrers\//)).toBe(1);
    expect(proxy.log.filter((e) => /\/manifests\/sha256-/.test(e.path))).toEqual([]);
  });

  it('mounts the base layer a second image shares instead of uploading it (request log)', async () => {
    const baseLayer = { seed: 'shared-base', size: 50_000 };
    const first = synthImage({ seed: 'mount-first', baseLayer, layers: 1, layerSize: 3000 });
    const second = synthImage({ seed: 'mount-second', baseLayer, layers: 1, layerSize: 3000 });
    const srcRepo = uniqueRepo('mount-src');
    await pushImage(token(), srcRepo, ['first'], first);
    await pushImage(token(), srcRepo, ['second'], second);
    const firstRepo = uniqueRepo('mount-a');
    const secondRepo = uniqueRepo('mount-b');
    const locations = new BlobLocations();
    const through = { host: proxy.host };
    await copyImage({ source: remote, sourceRef: at(token(), srcRepo, { digest: first.digest }), target: remote, targetRef: at(through, firstRepo), tags: ['v1'], blobLocations: locations });
    proxy.clearLog();
    const result = await copyImage({ source: remote, sourceRef: at(token(), srcRepo, { digest: second.digest }), target: remote, targetRef: at(through, secondRepo), tags: ['v1'], blobLocations: locations });
    const shared = [...second.blobs.keys()].filter((d) => first.blobs.has(d));
    expect(shared).toHaveLength(2);
    expect(result).toMatchObject({ blobsMounted: 2, blobsUploaded: second.blobs.size - 2 });
    expect(result.bytesUploaded).toBe([...second.blobs].filter(([d]) => !first.blobs.has(d)).reduce((n, [, b]) => n + b.length, 0));
    const uploads = proxy.log.filter((e) => e.path === `/v2/${secondRepo}/blobs/uploads/` && e.method === 'POST');
    for (const d of shared) {
      expect(uploads.some((e) => decodeURIComponent(e.query).includes(`mount=${d}`) && decodeURIComponent(e.query).includes(`from=${firstRepo}`) && e.status === 201)).toBe(true);
      // No upload of it: no PUT/PATCH carrying its digest, and no request body of its size.
      expect(proxy.log.some((e) => (e.method === 'PUT' || e.method === 'PATCH') && decodeURIComponent(e.query).includes(d))).toBe(false);
    }
    const uploadedBytes = proxy.log.filter((e) => e.method === 'PUT' || e.method === 'PATCH').filter((e) => e.path.includes('/blobs/uploads/')).reduce((n, e) => n + e.bytesIn, 0);
    expect(uploadedBytes).toBe(result.bytesUploaded);
    // The mount is the existence check: a blob known in firstRepo is not asked about with a HEAD first.
    for (const d of shared) expect(proxy.log.filter((e) => e.method === 'HEAD' && e.path === `/v2/${secondRepo}/blobs/${d}`)).toEqual([]);
    await expectComplete(anonymous(), secondRepo, second);
  });

  it('a registry that answers a mount of a blob it holds with 202 is asked with HEAD for the rest of the run; its sessions are cancelled and no blob is uploaded twice', async () => {
    const baseLayer = { seed: 'no-mount-base', size: 40_000 };
    const images = ['a', 'b', 'c'].map((n) => synthImage({ seed: `no-mount-${n}`, baseLayer, platforms: ['linux/amd64', 'linux/arm64'], layers: 1, layerSize: 2000 }));
    const srcRepo = uniqueRepo('no-mount-src');
    for (const [i, image] of images.entries()) await pushImage(token(), srcRepo, [`t${i}`], image);
    const repos = images.map(() => uniqueRepo('no-mount'));
    const locations = new BlobLocations();
    const through = { host: proxy.host };
    const copy = (i: number) =>
      copyImage({ source: remote, sourceRef: at(token(), srcRepo, { digest: images[i].digest }), target: remote, targetRef: at(through, repos[i]), tags: ['v1'], blobLocations: locations });
    await copy(0);
    // This registry "does not mount": every mount is answered 202 with a session (as a registry that ignores `mount` does).
    proxy.setRules([{ name: 'no-mount', method: 'POST', query: /mount=/, respond: { status: 202, headers: { location: `/v2/${repos[1]}/blobs/uploads/00000000-0000-4000-8000-000000000000`, 'content-length': '0' } } }]);
    proxy.clearLog();
    const second = await copy(1);
    const third = await copy(2);
    const mounts = proxy.log.filter((e) => e.method === 'POST' && /mount=/.test(e.query));
    expect(mounts).toHaveLength(1); // the first 202 for a blob this run put in repos[0] says enough
    expect(proxy.log.filter((e) => e.method === 'DELETE' && e.path.includes('/blobs/uploads/'))).toHaveLength(1);
    expect(second).toMatchObject({ blobsMounted: 0, blobsUploaded: images[1].blobs.size });
    expect(third).toMatchObject({ blobsMounted: 0, blobsUploaded: images[2].blobs.size });
    // Every blob of each repository was committed once, after a HEAD (or the one declined mount) found it missing.
    for (const [i, repo] of repos.slice(1).entries()) {
      for (const d of images[i + 1].blobs.keys()) {
        expect(proxy.log.filter((e) => e.method === 'PUT' && e.path.startsWith(`/v2/${repo}/blobs/uploads/`) && decodeURIComponent(e.query).includes(d))).toHaveLength(1);
      }
      await expectComplete(anonymous(), repo, images[i + 1]);
    }
  });

  it('refuses a blob corrupted in transit: nothing committed, nothing tagged; a clean re-run completes', async () => {
    const image = synthImage({ seed: 'copy-corrupt', layers: 2, layerSize: 30_000 });
    const srcRepo = uniqueRepo('corrupt-src');
    const dstRepo = uniqueRepo('corrupt-dst');
    await pushImage(anonymous(), srcRepo, ['v1'], image);
    const victim = layerDigests(image.manifests[0])[1];
    proxy.setRules([{ name: 'corrupt', method: 'GET', path: new RegExp(`/blobs/${victim}$`), corrupt: { at: 12_345 } }]);
    const source = at({ host: proxy.host }, srcRepo, { digest: image.digest });
    await expect(copyImage({ source: remote, sourceRef: source, target: remote, targetRef: at(basic(), dstRepo), tags: ['v1', 'v1-immutable'] })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(proxy.log.some((e) => e.rule === 'corrupt')).toBe(true);
    expect(await rawTags(basic(), dstRepo)).toEqual([]);
    expect(await rawGetBlob(basic(), dstRepo, victim)).toBeUndefined();
    expect(await rawGetManifest(basic(), dstRepo, image.manifests[0].digest)).toBeUndefined();
    expect(await rawGetManifest(basic(), dstRepo, image.digest)).toBeUndefined();
    proxy.setRules([]);
    const again = await copyImage({ source: remote, sourceRef: source, target: remote, targetRef: at(basic(), dstRepo), tags: ['v1', 'v1-immutable'] });
    expect(again.digest).toBe(image.digest);
    expect(await rawTags(basic(), dstRepo)).toEqual(['v1', 'v1-immutable']);
    await expectComplete(basic(), dstRepo, image);
  });

  it('a copy killed midway leaves no tag; the re-run skips what is there and completes', async () => {
    const image = synthImage({ seed: 'copy-killed', platforms: ['linux/amd64', 'linux/arm64', 'linux/ppc64le'], layers: 2, layerSize: 5000 });
    const srcRepo = uniqueRepo('killed-src');
    const dstRepo = uniqueRepo('killed-dst');
    await pushImage(anonymous(), srcRepo, ['v1'], image);
    let blobs = 0;
    const crash = new Error('killed');
    const options = { source: remote, sourceRef: at(anonymous(), srcRepo, { digest: image.digest }), target: remote, targetRef: at(token(), dstRepo), tags: ['v1', 'v1-imm'] };
    await expect(copyImage({ ...options, concurrency: 2, onProgress: (e) => { if (e.type === 'blob' && ++blobs === 4) throw crash; } })).rejects.toBe(crash);
    expect(await rawTags(token(), dstRepo)).toEqual([]);
    expect(await rawGetManifest(token(), dstRepo, image.digest)).toBeUndefined();
    const resumed = await copyImage(options);
    expect(resumed.blobsSkipped).toBeGreaterThanOrEqual(4);
    expect(resumed.blobsUploaded + resumed.blobsSkipped).toBe(image.blobs.size);
    expect(await rawTags(token(), dstRepo)).toEqual(['v1', 'v1-imm']);
    await expectComplete(token(), dstRepo, image);
  });

  it('copies referrers: the referrers tag index is kept in the target, cosign tags follow their content', async () => {
    const image = synthImage({ seed: 'copy-referrers', layers: 1 });
    const srcRepo = uniqueRepo('ref-src');
    const dstRepo = uniqueRepo('ref-dst');
    await pushImage(anonymous(), srcRepo, ['v1'], image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const sbom = await pushReferrer(anonymous(), srcRepo, subject, { artifactType: 'application/spdx+json', payload: '{"spdxVersion":"SPDX-2.3"}' });
    const sig = await pushReferrer(anonymous(), srcRepo, subject, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'sig', fallbackTag: true });
    // The source's own referrers tag lists the SBOM (what a client without the API pushes).
    const tag = `sha256-${image.digest.slice(7)}`;
    const listing = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }] }));
    await rawPushManifest(anonymous(), srcRepo, tag, 'application/vnd.oci.image.index.v1+json', listing);

    const result = await copyImage({ source: remote, sourceRef: at(anonymous(), srcRepo, { digest: image.digest }), target: remote, targetRef: at(basic(), dstRepo), tags: ['v1'] });
    expect(result.referrers).toBe(2);
    expect((await rawGetManifest(basic(), dstRepo, sbom.digest))?.bytes.equals(sbom.bytes)).toBe(true);
    expect((await rawGetManifest(basic(), dstRepo, `${tag}.sig`))?.digest).toBe(sig.digest);
    const fallback = await rawGetManifest(basic(), dstRepo, tag);
    expect(fallback?.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(indexSchema.parse(JSON.parse(fallback!.bytes.toString())).manifests).toEqual([
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' },
    ]);
    expect((await remote.referrers(at(basic(), dstRepo, { digest: image.digest }))).map((d) => d.digest)).toEqual([sbom.digest]);
    expect(await rawTags(basic(), dstRepo)).toEqual([tag, `${tag}.sig`, 'v1'].sort());
    // A re-run adds no duplicate to the referrers tag.
    const again = await copyImage({ source: remote, sourceRef: at(anonymous(), srcRepo, { digest: image.digest }), target: remote, targetRef: at(basic(), dstRepo), tags: ['v1'] });
    expect(again).toMatchObject({ manifests: 0, referrers: 0 });
    expect((await rawGetManifest(basic(), dstRepo, tag))?.digest).toBe(fallback?.digest);
  });
});

describe('copyImage across backends', () => {
  let fx: LayoutFixture;
  beforeEach(() => (fx = copyLayoutFixture()));
  afterEach(() => fx.cleanup());

  it('layout → registry: digests preserved, referrers (two levels) listed through referrers tags', async () => {
    const { multi, sbom, signature } = fx.contents;
    const dstRepo = uniqueRepo('from-layout');
    const result = await copyImage({ source: layouts, sourceRef: fx.ref({ tag: 'multi', digest: multi.digest }), target: remote, targetRef: at(anonymous(), dstRepo), tags: ['multi'] });
    expect(result).toMatchObject({ digest: multi.digest, referrers: 2 });
    await expectComplete(anonymous(), dstRepo, multi);
    const level1 = await rawGetManifest(anonymous(), dstRepo, `sha256-${multi.digest.slice(7)}`);
    expect(indexSchema.parse(JSON.parse(level1!.bytes.toString())).manifests.map((m) => [m.digest, m.artifactType])).toEqual([[sbom.digest, sbom.artifactType]]);
    const level2 = await rawGetManifest(anonymous(), dstRepo, `sha256-${sbom.digest.slice(7)}`);
    expect(indexSchema.parse(JSON.parse(level2!.bytes.toString())).manifests.map((m) => m.digest)).toEqual([signature.digest]);
    const docker = await copyImage({ source: layouts, sourceRef: fx.ref({ digest: fx.contents.docker.digest }), target: remote, targetRef: at(anonymous(), dstRepo), tags: ['docker'] });
    expect((await rawGetManifest(anonymous(), dstRepo, 'docker'))?.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(docker.digest).toBe(fx.contents.docker.digest);
  });

  it('registry → layout: digest preserved, referrers listed natively by the layout', async () => {
    const image = synthImage({ seed: 'to-layout', format: 'docker', layers: 1 });
    const srcRepo = uniqueRepo('to-layout');
    await pushImage(basic(), srcRepo, ['v1'], image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const sbom = await pushReferrer(basic(), srcRepo, subject, { artifactType: 'application/spdx+json', payload: '{}' });
    await rawPushManifest(basic(), srcRepo, `sha256-${image.digest.slice(7)}`, 'application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }] })));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-to-layout-'));
    try {
      const target = parseReference(`oci:${root}//mirror/app`, { defaultTag: false });
      const result = await copyImage({ source: remote, sourceRef: at(basic(), srcRepo, { digest: image.digest }), target: layouts, targetRef: target, tags: ['v1'] });
      expect(result).toMatchObject({ digest: image.digest, referrers: 1 });
      const got = await layouts.manifestGet(target.withTag('v1'));
      expect(got.bytes.equals(image.bytes)).toBe(true);
      expect(got.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
      expect((await layouts.referrers(target.withDigest(image.digest))).map((d) => d.digest)).toEqual([sbom.digest]);
      expect(await layouts.tagList(target)).toEqual(['v1']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
