/**
 * The image inspector over RemoteRegistry on the local docker-registry: platform entries of an
 * index without BuildKit attestation entries, single manifests judged by their config, every
 * manifest fetched once and by digest, nothing fetched before it is asked for.
 */
import { createImageInspector } from '../../functions/gates/image-inspector';
import { ImageRef } from '../../functions/oci/reference';
import type { Registry } from '../../functions/oci/registry-port';
import { gateHarness, seed, type GateHarness } from '../helpers/gate-fixture';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawPushBlob, rawPushManifest, sha256 } from '../helpers/raw-registry';
import { uniqueRepo } from '../servers/test-env';

let h: GateHarness;
beforeAll(async () => {
  h = await gateHarness();
});
afterAll(() => h.close());

/** The real registry, with every call it receives written down (what was asked, not what was answered). */
function recording(registry: Registry): { registry: Registry; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(registry, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${String(name)} ${args.map((a) => (a instanceof ImageRef ? a.identifier : typeof a === 'object' && a && 'digest' in a ? (a as { digest: string }).digest : '')).join(' ').trim()}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { registry: proxy, calls };
}

describe('createImageInspector', () => {
  it('lists platform images of an index; an attestation manifest is no platform but an attachment of the image it annotates', async () => {
    const repo = uniqueRepo('inspector');
    const image = synthImage({ seed: 'inspector-attest', platforms: ['linux/amd64', 'linux/arm64'] });
    await pushImage(h.target, repo, [], image);
    // A BuildKit provenance attestation: an image manifest entry with platform unknown/unknown.
    const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}');
    const emptyConfig = Buffer.from('{"architecture":"unknown","os":"unknown","rootfs":{"type":"layers","diff_ids":[]}}');
    await rawPushBlob(h.target, repo, statement);
    await rawPushBlob(h.target, repo, emptyConfig);
    const attestation = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(emptyConfig), size: emptyConfig.length }, layers: [{ mediaType: 'application/vnd.in-toto+json', digest: sha256(statement), size: statement.length }] }));
    const attestationDigest = await rawPushManifest(h.target, repo, sha256(attestation), 'application/vnd.oci.image.manifest.v1+json', attestation);
    const index = JSON.parse(image.bytes.toString()) as { manifests: unknown[] };
    index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: attestationDigest, size: attestation.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': image.manifests[0].digest } });
    const indexBytes = Buffer.from(JSON.stringify(index));
    const digest = await rawPushManifest(h.target, repo, 'v1', 'application/vnd.oci.image.index.v1+json', indexBytes);

    const { registry, calls } = recording(h.registry);
    const inspector = createImageInspector(registry, ImageRef.of({ registry: h.target.host, repository: repo, tag: 'v1', digest }));
    expect(calls).toEqual([]); // lazy
    expect(await inspector.mediaType()).toBe('application/vnd.oci.image.index.v1+json');
    const platforms = await inspector.platforms();
    expect(platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(platforms.map((p) => p.descriptor.digest)).toEqual(image.manifests.map((m) => m.digest));
    // It is promoted with the image, so it is read (judged with linux/amd64: its size counts there).
    expect(platforms.map((p) => (p.attachments ?? []).map((a) => a.digest))).toEqual([[attestationDigest], []]);
    expect(platforms[0].attachments![0]).toMatchObject({ kind: 'attachment', size: emptyConfig.length + statement.length });
    // Every manifest by digest, once, however often it is asked for.
    await inspector.platforms();
    await Promise.all([inspector.config(platforms[0]), inspector.config(platforms[0]), inspector.config(platforms[1])]);
    expect(calls.filter((c) => c.startsWith('manifestGet')).sort()).toEqual([`manifestGet ${digest}`, `manifestGet ${attestationDigest}`, ...image.manifests.map((m) => `manifestGet ${m.digest}`)].sort());
    expect(calls.filter((c) => c.startsWith('blobGet'))).toHaveLength(2);
    expect(calls.every((c) => !c.includes(' v1'))).toBe(true);
  });

  it('reads the platform of a single-platform docker manifest from its config', async () => {
    const s = await seed(h, { seed: 'inspector-single', platforms: ['linux/arm/v7'], format: 'docker', labels: { a: 'b' } });
    const inspector = createImageInspector(h.registry, s.source.withDigest(s.digest));
    expect(await inspector.mediaType()).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const [only, ...rest] = await inspector.platforms();
    expect(rest).toEqual([]);
    expect(only.platform).toBe('linux/arm/v7');
    expect(only.descriptor.digest).toBe(s.digest);
    expect((await inspector.config(only)).config?.Labels).toEqual({ a: 'b' });
  });

  it('refuses a source that is not pinned to a digest', () => {
    expect(() => createImageInspector(h.registry, ImageRef.of({ registry: h.target.host, repository: 'x/y', tag: 'v1' }))).toThrow(/pinned to a digest/);
  });

  it('rejects (so the gate is pending) on a digest the registry does not have', async () => {
    const s = await seed(h, { seed: 'inspector-missing' });
    const absent = sha256(Buffer.from('nothing here'));
    const inspector = createImageInspector(h.registry, s.source.withDigest(absent));
    await expect(inspector.platforms()).rejects.toMatchObject({ code: expect.any(String) });
    await expect(inspector.mediaType()).rejects.toBeDefined();
  });
});
