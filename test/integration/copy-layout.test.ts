/** copyImage between OCI layouts (the fixture as source): order, verification, filters, mounts, referrers, resume. */
import * as fs from 'node:fs';
import { BlobLocations } from '../../functions/oci/blob-locations';
import { copyImage, type CopyProgressEvent } from '../../functions/oci/copy';
import { LayoutRegistry } from '../../functions/oci/layout/layout-registry';
import { createLimit } from '../../functions/oci/limit';
import { layoutPaths } from '../../functions/oci/layout/layout-paths';
import { indexSchema } from '../../functions/oci/schema';
import { copyLayoutFixture, listFiles, type LayoutFixture } from '../helpers/oci-layout-fixture';

describe('copyImage, layout → layout', () => {
  let fx: LayoutFixture;
  const registry = new LayoutRegistry();
  beforeEach(() => (fx = copyLayoutFixture()));
  afterEach(() => fx.cleanup());

  /** Every manifest and blob of an image is readable, verified, from the target. */
  async function expectComplete(target: ReturnType<LayoutFixture['other']>, image: LayoutFixture['contents']['multi']): Promise<void> {
    for (const m of image.manifests) expect((await registry.manifestGet(target.withDigest(m.digest))).bytes.equals(m.bytes)).toBe(true);
    for (const [digest, bytes] of image.blobs) {
      const chunks: Buffer[] = [];
      for await (const c of await registry.blobGet(target, { digest, size: bytes.length })) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    }
  }

  it('copies a multi-arch OCI index byte for byte: same digest, every child and blob, tags set', async () => {
    const { multi } = fx.contents;
    const target = fx.other('base/demo');
    const result = await copyImage({ source: registry, sourceRef: fx.ref({ tag: 'multi', digest: multi.digest }), target: registry, targetRef: target, tags: ['1.0', '1.0-abc'], referrers: false });
    expect(result).toMatchObject({ digest: multi.digest, sourceDigest: multi.digest, mediaType: multi.mediaType, tags: ['1.0', '1.0-abc'] });
    expect(result).toMatchObject({ blobsUploaded: multi.blobs.size, blobsMounted: 0, blobsSkipped: 0, manifests: 3, manifestsSkipped: 0, referrers: 0 });
    expect(result.bytesUploaded).toBe([...multi.blobs.values()].reduce((n, b) => n + b.length, 0));
    const got = await registry.manifestGet(target.withTag('1.0'));
    expect(got.bytes.equals(multi.bytes)).toBe(true);
    expect((await registry.manifestHead(target.withTag('1.0-abc')))?.digest).toBe(multi.digest);
    await expectComplete(target, multi);
    expect(listFiles(layoutPaths(target).tmpDir)).toEqual([]);
  });

  it('copies a Docker v2 manifest list and a Docker v2 manifest verbatim', async () => {
    const { docker } = fx.contents;
    const target = fx.other('base/docker');
    const list = await copyImage({ source: registry, sourceRef: fx.ref({ digest: docker.digest }), target: registry, targetRef: target, tags: ['list'] });
    expect(list).toMatchObject({ digest: docker.digest, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' });
    const child = docker.manifests[0];
    const single = await copyImage({ source: registry, sourceRef: fx.ref({ digest: child.digest }), target: registry, targetRef: fx.other('base/docker-single'), tags: ['one'] });
    expect(single).toMatchObject({ digest: child.digest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', manifests: 1 });
    expect((await registry.manifestGet(target.withTag('list'))).bytes.equals(docker.bytes)).toBe(true);
    expect((await registry.manifestGet(fx.other('base/docker-single').withTag('one'))).bytes.equals(child.bytes)).toBe(true);
    await expectComplete(target, docker);
  });

  it('writes a valid, smaller index of the same media type for a platform filter, and copies only that platform', async () => {
    const { multi } = fx.contents;
    const target = fx.other('base/arm');
    const result = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['arm'], platforms: ['linux/arm64'] });
    expect(result.digest).not.toBe(multi.digest);
    const got = await registry.manifestGet(target.withTag('arm'));
    expect(got.digest).toBe(result.digest);
    expect(got.mediaType).toBe(multi.mediaType);
    const index = indexSchema.parse(JSON.parse(got.bytes.toString()));
    const arm = multi.manifests.find((m) => m.platform?.architecture === 'arm64')!;
    const amd = multi.manifests.find((m) => m.platform?.architecture === 'amd64')!;
    expect(index.manifests).toEqual([{ mediaType: arm.mediaType, digest: arm.digest, size: arm.bytes.length, platform: arm.platform }]);
    expect(index.mediaType).toBe(multi.mediaType);
    expect(await registry.manifestHead(target.withDigest(amd.digest))).toBeUndefined();
    const amdLayers = (JSON.parse(amd.bytes.toString()) as { layers: Array<{ digest: string }> }).layers;
    for (const l of amdLayers) expect(await registry.blobHead(target, l.digest)).toBeUndefined();
    expect(result).toMatchObject({ manifests: 2, blobsUploaded: 3, referrers: 0 });
    // The referrers of the unfiltered index are not copied: their subject is not in the target.
    expect(await registry.referrers(target.withDigest(multi.digest))).toEqual([]);
  });

  it('refuses a filter that matches no platform, before writing anything', async () => {
    const target = fx.other('base/none');
    await expect(copyImage({ source: registry, sourceRef: fx.ref({ digest: fx.contents.multi.digest }), target: registry, targetRef: target, tags: ['x'], platforms: ['linux/s390x'] })).rejects.toMatchObject({ code: 'PLATFORM_NOT_FOUND' });
    const amd = fx.contents.multi.manifests[0];
    await expect(copyImage({ source: registry, sourceRef: fx.ref({ digest: amd.digest }), target: registry, targetRef: target, tags: ['x'], platforms: ['linux/arm64'] })).rejects.toMatchObject({ code: 'PLATFORM_NOT_FOUND' });
    expect(listFiles(layoutPaths(target).dir)).toEqual([]);
  });

  it('mounts the shared base layer into a second repository instead of uploading it (hard link, no bytes)', async () => {
    const { multi, multi2 } = fx.contents;
    const locations = new BlobLocations();
    const first = fx.other('base/first');
    const second = fx.other('base/second');
    await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: first, tags: ['v1'], blobLocations: locations });
    const events: CopyProgressEvent[] = [];
    const result = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi2.digest }), target: registry, targetRef: second, tags: ['v1'], blobLocations: locations, onProgress: (e) => events.push(e) });
    const shared = [...multi2.blobs.keys()].filter((d) => multi.blobs.has(d));
    expect(shared).toHaveLength(2); // the base layer of each platform
    expect(result.blobsMounted).toBe(2);
    expect(result.blobsUploaded).toBe(multi2.blobs.size - 2);
    expect(result.bytesUploaded).toBe([...multi2.blobs].filter(([d]) => !multi.blobs.has(d)).reduce((n, [, b]) => n + b.length, 0));
    expect(events.filter((e) => e.type === 'blob' && e.action === 'mounted').map((e) => (e as { digest: string }).digest).sort()).toEqual([...shared].sort());
    for (const d of shared) expect(fs.statSync(layoutPaths(second).blob(d)).ino).toBe(fs.statSync(layoutPaths(first).blob(d)).ino);
    await expectComplete(second, multi2);
  });

  it('mounts from a hinted repository (mountSources) when no memo knows the blob', async () => {
    const { multi, multi2 } = fx.contents;
    const first = fx.other('base/first');
    await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: first, tags: ['v1'] });
    const result = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi2.digest }), target: registry, targetRef: fx.other('base/hinted'), tags: ['v1'], mountSources: [first] });
    expect(result.blobsMounted).toBe(2);
  });

  it('refuses a blob corrupted on the way, writes no tag and keeps no bad blob; the fixed source then copies', async () => {
    const { multi } = fx.contents;
    const target = fx.other('base/corrupt');
    const layer = multi.manifests[1];
    const layerDigest = (JSON.parse(layer.bytes.toString()) as { layers: Array<{ digest: string; size: number }> }).layers[1];
    const file = layoutPaths(fx.ref()).blob(layerDigest.digest);
    const original = fs.readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[10] ^= 0xff;
    fs.writeFileSync(file, damaged);
    await expect(copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1'] })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await registry.tagList(target)).toEqual([]);
    expect(await registry.blobHead(target, layerDigest.digest)).toBeUndefined();
    expect(await registry.manifestHead(target.withDigest(layer.digest))).toBeUndefined();
    expect(await registry.manifestHead(target.withDigest(multi.digest))).toBeUndefined();
    expect(listFiles(layoutPaths(target).tmpDir)).toEqual([]);
    fs.writeFileSync(file, original);
    const again = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1'] });
    expect(again.digest).toBe(multi.digest);
    expect(await registry.tagList(target)).toEqual(['v1']);
  });

  it.each([
    ['a hook that throws after the first manifest', 'hook'],
    ['an AbortSignal fired after the first manifest', 'signal'],
  ])('a copy stopped midway by %s leaves no tag; a fresh run completes and skips what is there', async (_name, how) => {
    const { multi } = fx.contents;
    const target = fx.other('base/killed');
    const controller = new AbortController();
    const crash = new Error('simulated crash');
    const stopped = copyImage({
      source: registry,
      sourceRef: fx.ref({ digest: multi.digest }),
      target: registry,
      targetRef: target,
      tags: ['v1', 'v1-immutable'],
      concurrency: 1,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'manifest' && e.action === 'pushed') {
          if (how === 'hook') throw crash;
          controller.abort(crash);
        }
      },
    });
    await expect(stopped).rejects.toBe(crash);
    expect(await registry.tagList(target)).toEqual([]);
    expect(await registry.manifestHead(target.withDigest(multi.digest))).toBeUndefined();
    const pushedChildren: string[] = [];
    for (const m of multi.manifests) if (await registry.manifestHead(target.withDigest(m.digest))) pushedChildren.push(m.digest);
    // The stop came after the first child; a step already holding its slot may finish, nothing new starts.
    expect(pushedChildren.length).toBeGreaterThanOrEqual(1);
    const resumed = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1', 'v1-immutable'], referrers: false });
    expect(resumed).toMatchObject({ digest: multi.digest, manifests: 1 + multi.manifests.length - pushedChildren.length, manifestsSkipped: pushedChildren.length });
    expect(resumed.blobsUploaded).toBeLessThan(multi.blobs.size);
    const remaining = new Set(
      multi.manifests
        .filter((m) => !pushedChildren.includes(m.digest))
        .flatMap((m) => {
          const parsed = JSON.parse(m.bytes.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
          return [parsed.config.digest, ...parsed.layers.map((l) => l.digest)];
        }),
    );
    expect(resumed.blobsUploaded + resumed.blobsSkipped).toBe(remaining.size);
    expect(await registry.tagList(target)).toEqual(['v1', 'v1-immutable']);
    await expectComplete(target, multi);
  });

  it('copies referrers and their referrers with the image; the layout lists them natively (no referrers tag)', async () => {
    const { multi, sbom, signature } = fx.contents;
    const target = fx.other('base/signed');
    const result = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1'] });
    expect(result.referrers).toBe(2);
    expect((await registry.referrers(target.withDigest(multi.digest))).map((d) => [d.digest, d.artifactType])).toEqual([[sbom.digest, sbom.artifactType]]);
    expect((await registry.referrers(target.withDigest(sbom.digest))).map((d) => d.digest)).toEqual([signature.digest]);
    expect((await registry.manifestGet(target.withDigest(signature.digest))).bytes.equals(signature.bytes)).toBe(true);
    expect(await registry.tagList(target)).toEqual(['v1']);
    const noReferrers = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: fx.other('base/unsigned'), tags: ['v1'], referrers: false });
    expect(noReferrers.referrers).toBe(0);
    expect(await registry.referrers(fx.other('base/unsigned').withDigest(multi.digest))).toEqual([]);
  });

  it('a re-run is a no-op: nothing uploaded, nothing written, tags unchanged', async () => {
    const { multi } = fx.contents;
    const target = fx.other('base/again');
    await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1'] });
    const indexBefore = fs.readFileSync(layoutPaths(target).indexFile);
    const events: CopyProgressEvent[] = [];
    const again = await copyImage({ source: registry, sourceRef: fx.ref({ digest: multi.digest }), target: registry, targetRef: target, tags: ['v1'], onProgress: (e) => events.push(e) });
    // The index and the two referrers are found in place; nothing under them is walked again.
    expect(again).toMatchObject({ bytesUploaded: 0, blobsUploaded: 0, manifests: 0, referrers: 0, manifestsSkipped: 3 });
    expect(events).toContainEqual({ type: 'tag', tag: 'v1', digest: multi.digest, action: 'unchanged' });
    expect(fs.readFileSync(layoutPaths(target).indexFile).equals(indexBefore)).toBe(true);
  });

  it('bounds the operations in flight across images with a shared limiter', async () => {
    const { multi, multi2, docker } = fx.contents;
    let active = 0;
    let peak = 0;
    // Instrumentation around the real backend: counts calls in flight, changes nothing. A blob
    // transfer is one operation: the source's blobGet runs inside the target's blobPut, so it is not counted.
    const counted = new Proxy(registry, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function' || name === 'blobGet') return value;
        return async (...args: unknown[]) => {
          active++;
          peak = Math.max(peak, active);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            active--;
          }
        };
      },
    });
    const limit = createLimit(2);
    const results = await Promise.all(
      [multi, multi2, docker].map((image, i) =>
        copyImage({ source: counted, sourceRef: fx.ref({ digest: image.digest }), target: counted, targetRef: fx.other(`base/limited-${i}`), tags: ['v1'], limit }),
      ),
    );
    expect(results.map((r) => r.digest)).toEqual([multi.digest, multi2.digest, docker.digest]);
    expect(peak).toBe(2);
  });

  it.each([
    [{ sourceRef: 'unpinned' }, /pinned to a digest/],
    [{ targetRef: 'with digest' }, /not a digest/],
    [{ concurrency: 2, limit: true }, /either concurrency or a shared limit/],
    [{ platforms: [] }, /empty platform list/],
    [{ tags: ['a', 'a'] }, /repeat a tag/],
    [{ mountSources: 'other root' }, /not in the target registry/],
  ])('refuses contradictory options %j', async (bad, message) => {
    const { multi } = fx.contents;
    const b = bad as Record<string, unknown>;
    await expect(
      copyImage({
        source: registry,
        sourceRef: b.sourceRef ? fx.ref({ tag: 'multi' }) : fx.ref({ digest: multi.digest }),
        target: registry,
        targetRef: b.targetRef ? fx.other('t').withDigest(multi.digest) : fx.other('t'),
        tags: (b.tags as string[]) ?? ['v1'],
        platforms: b.platforms as string[] | undefined,
        concurrency: b.concurrency as number | undefined,
        limit: b.limit ? async <T>(task: () => Promise<T>) => task() : undefined,
        mountSources: b.mountSources ? [fx.ref()] : undefined,
      }),
    ).rejects.toThrow(message);
  });
});
