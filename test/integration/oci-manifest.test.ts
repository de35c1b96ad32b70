/**
 * Manifests through RemoteRegistry against the real anonymous docker-registry: multi-arch
 * HEAD/GET, Docker v2 and OCI media types, PUT, DELETE; and, through the fault proxy, a
 * registry that states no digest, corrupted bytes, and hostile answers that must be refused.
 */
import { ContentRejectedError, DigestMismatchError, RegistryError } from '../../functions/errors';
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { MAX_MANIFEST_BYTES } from '../../functions/oci/registry/manifest';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest, rawPushBlob } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

const host = () => testEnv().registries.anonymous.host;
const registry = new RemoteRegistry();
let proxy: FaultProxy;
const repo = uniqueRepo('manifest');
const oci = synthImage({ seed: 'manifest-oci', layers: 1, layerSize: 1024 });
const docker = synthImage({ seed: 'manifest-docker', format: 'docker', layers: 1, layerSize: 1024 });

beforeAll(async () => {
  await pushImage({ host: host() }, repo, ['oci'], oci);
  await pushImage({ host: host() }, repo, ['docker'], docker);
  proxy = await startFaultProxy({ upstream: `http://${host()}` });
});
afterAll(async () => {
  await registry.close();
  await proxy?.stop();
});
beforeEach(() => proxy.reset());

const ref = (tagOrDigest: string, via = host()) => parseReference(`${via}/${repo}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`);

describe('multi-arch and media types', () => {
  it.each([
    ['oci', oci, OCI_INDEX, OCI_MANIFEST],
    ['docker', docker, DOCKER_LIST, DOCKER_MANIFEST],
  ] as const)('%s: HEAD of the tag is the index, GET returns its exact bytes, platforms by digest', async (tag, image, indexType, manifestType) => {
    expect(await registry.manifestHead(ref(tag))).toEqual({ digest: image.digest, mediaType: indexType, size: image.bytes.length });
    const index = await registry.manifestGet(ref(tag));
    expect(index).toEqual({ digest: image.digest, mediaType: indexType, size: image.bytes.length, bytes: image.bytes });
    for (const m of image.manifests) {
      const got = await registry.manifestGet(ref(m.digest));
      expect(got.mediaType).toBe(manifestType);
      expect(got.bytes.equals(m.bytes)).toBe(true);
      expect(await registry.manifestHead(ref(m.digest))).toEqual({ digest: m.digest, mediaType: manifestType, size: m.bytes.length });
    }
  });

  it('answers undefined to HEAD and NOT_FOUND to GET of a missing manifest', async () => {
    expect(await registry.manifestHead(ref('missing'))).toBeUndefined();
    const err = await registry.manifestGet(ref('missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404, temporary: false, errors: [{ code: 'MANIFEST_UNKNOWN' }] });
  });
});

describe('PUT and DELETE', () => {
  it('pushes by tag and by digest, returns the digest, deletes', async () => {
    const image = synthImage({ seed: 'manifest-put', platforms: ['linux/arm64'], layers: 1, layerSize: 256 });
    for (const b of image.blobs.values()) await rawPushBlob({ host: host() }, repo, b);
    const digest = await registry.manifestPut(ref('put-tag'), { mediaType: image.mediaType, bytes: image.bytes });
    expect(digest).toBe(image.digest);
    expect((await rawGetManifest({ host: host() }, repo, 'put-tag'))?.bytes.equals(image.bytes)).toBe(true);

    const other = synthImage({ seed: 'manifest-put-digest', platforms: ['linux/arm64'], layers: 1, layerSize: 256 });
    for (const b of other.blobs.values()) await rawPushBlob({ host: host() }, repo, b);
    expect(await registry.manifestPut(ref(other.digest), { mediaType: other.mediaType, bytes: other.bytes })).toBe(other.digest);
    expect(await registry.manifestHead(ref(other.digest))).toMatchObject({ digest: other.digest });

    await registry.manifestDelete(ref(other.digest));
    expect(await registry.manifestHead(ref(other.digest))).toBeUndefined();
    await expect(registry.manifestDelete(ref(other.digest))).resolves.toBeUndefined(); // already gone
  });

  it('refuses to push bytes that do not match the pinned digest', async () => {
    const err = await registry.manifestPut(ref(oci.manifests[0].digest), { mediaType: OCI_MANIFEST, bytes: oci.manifests[1].bytes }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
  });
});

describe('through the fault proxy', () => {
  it('falls back to GET + sha256 when HEAD states no Docker-Content-Digest', async () => {
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, dropHeaders: ['docker-content-digest'] }]);
    expect(await registry.manifestHead(ref('oci', proxy.host))).toEqual({ digest: oci.digest, mediaType: OCI_INDEX, size: oci.bytes.length });
    expect(proxy.counts()).toMatchObject({ 'HEAD manifests': 1, 'GET manifests': 1 });
  });

  it.each([
    ['by tag (checked against Docker-Content-Digest)', 'oci'],
    ['by digest', oci.digest],
  ])('refuses a corrupted manifest fetched %s', async (_, id) => {
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, corrupt: { at: 10 } }]);
    const err = await registry.manifestGet(ref(id, proxy.host)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as DigestMismatchError).code).toBe('DIGEST_MISMATCH');
  });

  it('refuses a HEAD digest other than the pinned one', async () => {
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, setHeaders: { 'docker-content-digest': oci.manifests[0].digest } }]);
    await expect(registry.manifestHead(ref(oci.digest, proxy.host))).rejects.toThrow(DigestMismatchError);
  });

  const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], annotations: { pad: 'x'.repeat(MAX_MANIFEST_BYTES) } }));

  it.each([
    ['an oversize manifest (Content-Length)', { status: 200, headers: { 'content-type': OCI_INDEX }, body: huge }, 'MANIFEST_TOO_LARGE'],
    ['an oversize manifest (counted while reading)', { status: 200, headers: { 'content-type': OCI_INDEX }, body: huge, chunked: true }, 'MANIFEST_TOO_LARGE'],
    ['bytes that are not JSON', { status: 200, headers: { 'content-type': OCI_MANIFEST }, body: '{"schemaVersion": 2, "config": ' }, 'MANIFEST_INVALID_JSON'],
    ['an unknown media type', { status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, body: '{"schemaVersion":1}' }, 'MANIFEST_MEDIA_TYPE'],
    ['a document that is not a manifest', { status: 200, headers: { 'content-type': OCI_MANIFEST }, body: '{"schemaVersion":2,"layers":"no"}' }, 'MANIFEST_INVALID'],
    ['a Content-Type that contradicts the mediaType field', { status: 200, headers: { 'content-type': OCI_MANIFEST }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }) }, 'MANIFEST_MEDIA_TYPE'],
  ])('refuses %s', async (_, respond, code) => {
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, respond }]);
    const err = await registry.manifestGet(ref('oci', proxy.host)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentRejectedError);
    expect((err as ContentRejectedError).code).toBe(code);
  });

  it('refuses a HEAD that announces an oversize manifest', async () => {
    // distribution 2.8 itself refuses to store a manifest over 4 MiB, so the size is injected.
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, setHeaders: { 'content-length': String(MAX_MANIFEST_BYTES + 1) } }]);
    await expect(registry.manifestHead(ref('oci', proxy.host))).rejects.toMatchObject({ code: 'MANIFEST_TOO_LARGE' });
  });

  it.each([
    [`md5:${'0'.repeat(32)}`, 'DIGEST_UNSUPPORTED'],
    ['sha256:not-hex', 'DIGEST_INVALID'],
  ])('refuses a stated digest %s', async (digest, code) => {
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, setHeaders: { 'docker-content-digest': digest } }]);
    await expect(registry.manifestHead(ref('oci', proxy.host))).rejects.toMatchObject({ code });
  });
});
