/** The OCI layout backend of the Registry port, on a copy of the checked-in fixture. */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BasegateError } from '../../functions/errors';
import { LayoutRegistry } from '../../functions/oci/layout/layout-registry';
import { readLayoutIndex, REF_NAME } from '../../functions/oci/layout/layout-index';
import { layoutPaths } from '../../functions/oci/layout/layout-paths';
import { OCI_MANIFEST } from '../../functions/oci/media-types';
import { canDelete, canMount } from '../../functions/oci/registry-port';
import { indexSchema } from '../../functions/oci/schema';
import { sha256 } from '../helpers/raw-registry';
import { copyLayoutFixture, listFiles, type LayoutFixture } from '../helpers/oci-layout-fixture';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A blob and an image manifest referring to it, for write tests. */
function smallImage(seed: string): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] }),
  );
  return { config, manifest };
}

describe('LayoutRegistry', () => {
  let fx: LayoutFixture;
  const registry = new LayoutRegistry();
  beforeEach(() => (fx = copyLayoutFixture()));
  afterEach(() => fx.cleanup());

  it('is a Registry that can mount and delete', () => {
    expect(canMount(registry)).toBe(true);
    expect(canDelete(registry)).toBe(true);
  });

  it('reads tags, manifests and blobs of the fixture, verified', async () => {
    const { multi, docker } = fx.contents;
    await registry.ping(fx.ref());
    expect(await registry.tagList(fx.ref())).toEqual(['docker', 'multi', 'multi-2']);
    expect(await registry.manifestHead(fx.ref({ tag: 'multi' }))).toEqual({ digest: multi.digest, mediaType: multi.mediaType, size: multi.bytes.length });
    const list = await registry.manifestGet(fx.ref({ tag: 'docker' }));
    expect(list.digest).toBe(docker.digest);
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(list.bytes.equals(docker.bytes)).toBe(true);
    // A child manifest has no index.json entry: found by digest, media type from its body.
    const child = docker.manifests[1];
    expect(await registry.manifestHead(fx.ref({ digest: child.digest }))).toEqual({ digest: child.digest, mediaType: child.mediaType, size: child.bytes.length });
    const [digest, bytes] = [...multi.blobs.entries()][0];
    expect((await readAll(await registry.blobGet(fx.ref(), { digest, size: bytes.length }))).equals(bytes)).toBe(true);
    expect(await registry.blobHead(fx.ref(), digest)).toEqual({ size: bytes.length });
    expect(await registry.manifestHead(fx.ref({ tag: 'absent' }))).toBeUndefined();
    await expect(registry.manifestGet(fx.ref({ tag: 'absent' }))).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    expect(await registry.tagList(fx.other('never/written'))).toEqual([]);
  });

  it('refuses a blob whose bytes on disk no longer match their digest', async () => {
    const [digest, bytes] = [...fx.contents.multi.blobs.entries()][0];
    const file = layoutPaths(fx.ref()).blob(digest);
    fs.writeFileSync(file, Buffer.alloc(bytes.length, 0x41));
    await expect(readAll(await registry.blobGet(fx.ref(), { digest, size: bytes.length }))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('lists referrers by scanning index.json, as the referrers API would', async () => {
    const { multi, sbom, signature } = fx.contents;
    expect(await registry.referrers(fx.ref({ digest: multi.digest }))).toEqual([
      { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.bytes.length, artifactType: sbom.artifactType, annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } },
    ]);
    expect((await registry.referrers(fx.ref({ digest: sbom.digest }))).map((d) => d.digest)).toEqual([signature.digest]);
    expect(await registry.referrers(fx.ref({ digest: multi.digest }), { artifactType: 'application/other' })).toEqual([]);
  });

  it('writes a blob only when its bytes match, leaving nothing behind otherwise', async () => {
    const target = fx.other('written/blob');
    const good = Buffer.from('good bytes');
    const evil = Buffer.from('evil bytes');
    await expect(registry.blobPut(target, { digest: sha256(good), size: good.length }, () => Readable.from([evil]))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    const failing = (): Readable =>
      new Readable({
        read() {
          this.push(good.subarray(0, 4));
          this.destroy(new Error('source reset'));
        },
      });
    await expect(registry.blobPut(target, { digest: sha256(good), size: good.length }, failing)).rejects.toThrow('source reset');
    expect(listFiles(layoutPaths(target).dir)).toEqual([]);
    await registry.blobPut(target, { digest: sha256(good), size: good.length }, () => Readable.from([good.subarray(0, 3), good.subarray(3)]));
    expect(listFiles(layoutPaths(target).dir)).toEqual([`blobs/sha256/${sha256(good).slice(7)}`]);
    // Present already: the body factory is not even called.
    await registry.blobPut(target, { digest: sha256(good), size: good.length }, () => {
      throw new Error('must not be read');
    });
  });

  it('refuses a manifest before its blobs, then stores it, tags it, moves the tag and deletes', async () => {
    const target = fx.other('written/image');
    const a = smallImage('a');
    const b = smallImage('b');
    await expect(registry.manifestPut(target.withTag('v1'), { mediaType: OCI_MANIFEST, bytes: a.manifest })).rejects.toMatchObject({ code: 'MANIFEST_BLOB_UNKNOWN' });
    expect(await registry.tagList(target)).toEqual([]);
    for (const x of [a, b]) await registry.blobPut(target, { digest: sha256(x.config), size: x.config.length }, () => Readable.from([x.config]));
    await expect(registry.manifestPut(target.withDigest(sha256(b.manifest)), { mediaType: OCI_MANIFEST, bytes: a.manifest })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await registry.manifestPut(target.withTag('v1'), { mediaType: OCI_MANIFEST, bytes: a.manifest })).toBe(sha256(a.manifest));
    expect(await registry.manifestPut(target.withTag('v1'), { mediaType: OCI_MANIFEST, bytes: b.manifest })).toBe(sha256(b.manifest));
    await registry.manifestPut(target.withTag('old'), { mediaType: OCI_MANIFEST, bytes: a.manifest });
    const index = await readLayoutIndex(layoutPaths(target));
    expect(index.manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: sha256(b.manifest), size: b.manifest.length, annotations: { [REF_NAME]: 'v1' } },
      { mediaType: OCI_MANIFEST, digest: sha256(a.manifest), size: a.manifest.length, annotations: { [REF_NAME]: 'old' } },
    ]);
    expect(JSON.parse(fs.readFileSync(layoutPaths(target).layoutFile, 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    await registry.manifestDelete(target.withTag('old'));
    expect(await registry.tagList(target)).toEqual(['v1']);
    expect(await registry.manifestHead(target.withDigest(sha256(a.manifest)))).toBeDefined();
    await registry.manifestDelete(target.withDigest(sha256(b.manifest)));
    expect(await registry.tagList(target)).toEqual([]);
    expect(await registry.manifestHead(target.withDigest(sha256(b.manifest)))).toBeUndefined();
  });

  it('mounts with a hard link within one root, and declines across roots or for a missing blob', async () => {
    const [digest] = [...fx.contents.multi.blobs.keys()];
    const sibling = fx.other('mounted/here', fx.root);
    expect(await registry.blobMount(sibling, digest, fx.ref())).toBe(true);
    expect(fs.statSync(layoutPaths(sibling).blob(digest)).ino).toBe(fs.statSync(layoutPaths(fx.ref()).blob(digest)).ino);
    expect(await registry.blobMount(fx.other('elsewhere'), digest, fx.ref())).toBe(false);
    expect(await registry.blobMount(sibling, sha256(Buffer.from('nope')), fx.ref())).toBe(false);
  });

  it('keeps every tag when many writers in this process update one index.json at once', async () => {
    const target = fx.other('concurrent/in-process');
    const { config, manifest } = smallImage('c');
    await registry.blobPut(target, { digest: sha256(config), size: config.length }, () => Readable.from([config]));
    const other = new LayoutRegistry();
    const tags = Array.from({ length: 30 }, (_, i) => `t${i}`);
    await Promise.all(tags.map((tag, i) => (i % 2 ? registry : other).manifestPut(target.withTag(tag), { mediaType: OCI_MANIFEST, bytes: manifest })));
    expect(await registry.tagList(target)).toEqual([...tags].sort());
    expect(indexSchema.safeParse(JSON.parse(fs.readFileSync(layoutPaths(target).indexFile, 'utf8'))).success).toBe(true);
  });

  it('keeps every tag when two processes update one index.json at once (lock file)', async () => {
    const target = fx.other('concurrent/processes');
    const { config, manifest } = smallImage('p');
    await registry.blobPut(target, { digest: sha256(config), size: config.length }, () => Readable.from([config]));
    const manifestFile = path.join(fx.emptyRoot(), 'manifest.json');
    fs.writeFileSync(manifestFile, manifest);
    const writer = (prefix: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', CHILD_WRITER, path.resolve(__dirname, '../..'), target.registry, target.repository, manifestFile, prefix], { stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([writer('a'), writer('b')])).toEqual([0, 0]);
    const tags = await registry.tagList(target);
    expect(tags).toHaveLength(40);
    expect(tags.filter((t) => t.startsWith('a'))).toHaveLength(20);
    expect(fs.existsSync(path.join(layoutPaths(target).tmpDir, 'index.json.lock'))).toBe(false);
  });

  it('waits for a lock held by a live process, gives up as a temporary error, and breaks a dead holder\'s lock', async () => {
    const target = fx.other('locked');
    const { config, manifest } = smallImage('l');
    await registry.blobPut(target, { digest: sha256(config), size: config.length }, () => Readable.from([config]));
    const lockFile = path.join(layoutPaths(target).tmpDir, 'index.json.lock');
    const holder = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(lockFile, JSON.stringify({ pid: holder.pid, host: os.hostname(), at: new Date().toISOString() }));
      const impatient = new LayoutRegistry({ lock: { timeoutMs: 200, retryMs: 20 } });
      const err = await impatient.manifestPut(target.withTag('v1'), { mediaType: OCI_MANIFEST, bytes: manifest }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BasegateError);
      expect(err).toMatchObject({ code: 'LAYOUT_LOCKED', temporary: true });
      expect(await registry.tagList(target)).toEqual([]);
    } finally {
      holder.kill();
    }
    const dead = spawnSync('true').pid;
    fs.writeFileSync(lockFile, JSON.stringify({ pid: dead, host: os.hostname(), at: new Date().toISOString() }));
    await registry.manifestPut(target.withTag('v1'), { mediaType: OCI_MANIFEST, bytes: manifest });
    expect(await registry.tagList(target)).toEqual(['v1']);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('ping refuses a missing root', async () => {
    await expect(registry.ping(fx.other('x', path.join(fx.root, 'missing')))).rejects.toMatchObject({ code: 'LAYOUT_NOT_FOUND' });
  });
});

/**
 * A child process writing 20 tags through the real LayoutRegistry; TypeScript is compiled on
 * load by test/helpers/ts-register.cjs (as jest does), since Node 20 runs no TypeScript.
 */
const CHILD_WRITER = `
const fs = require('node:fs');
const [repoRoot, root, repository, manifestFile, prefix] = process.argv.slice(1);
require(repoRoot + '/test/helpers/ts-register.cjs');
const { LayoutRegistry } = require(repoRoot + '/functions/oci/layout/layout-registry.ts');
const { ImageRef } = require(repoRoot + '/functions/oci/reference.ts');
const registry = new LayoutRegistry();
const bytes = fs.readFileSync(manifestFile);
const base = ImageRef.of({ scheme: 'layout', registry: root, repository });
Promise.all(Array.from({ length: 20 }, (_, i) => registry.manifestPut(base.withTag(prefix + i), { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes })))
  .then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
`;
