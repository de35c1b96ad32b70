/**
 * The fault rounds' target checks can fail: a blob file whose bytes do not match its digest is
 * reported, and so is a tag whose image lost a blob (deleted behind the tag's back through the
 * real registry's API, the only way to make a registry hold an incomplete image).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawRequest, sha256 } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';
import { corruptLayoutBlobs, walkLayoutRepository } from './layout-check';
import { corruptStoredBlobs, walkRepository } from './target-check';

describe('the fault rounds can see what they look for', () => {
  it('reports a stored blob whose bytes do not match its digest, and only that one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-blobs-'));
    const store = (digest: string, bytes: Buffer) => {
      const hex = digest.slice('sha256:'.length);
      const at = path.join(dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex);
      fs.mkdirSync(at, { recursive: true });
      fs.writeFileSync(path.join(at, 'data'), bytes);
    };
    const good = Buffer.from('good bytes');
    store(sha256(good), good);
    const claimed = sha256(Buffer.from('the bytes it claims'));
    store(claimed, Buffer.from('other bytes'));
    const verified = new Map<string, string>();
    expect(corruptStoredBlobs(dir, verified)).toEqual([expect.stringContaining(`${claimed} holds bytes of sha256:`)]);
    expect(verified.size).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('in a layout too: a blob file with other bytes, and a tag whose manifest lost a blob', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-layout-'));
    const dir = path.join(root, 'base', 'app');
    const put = (bytes: Buffer, as = sha256(bytes)) => {
      fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'blobs', 'sha256', as.slice(7)), bytes);
      return { digest: as, size: bytes.length };
    };
    const config = put(Buffer.from('{}'));
    const layer = { digest: sha256(Buffer.from('never written')), size: 13 };
    const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [layer] })));
    put(Buffer.from('other bytes'), sha256(Buffer.from('claimed')));
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
    expect(corruptLayoutBlobs(root, new Map())).toEqual([expect.stringContaining(`holds bytes of sha256:`)]);
    expect(walkLayoutRepository(root, 'base/app')).toEqual({ tags: [{ tag: 'v1', digest: manifest.digest }], partial: [expect.stringContaining(`${layer.digest} missing`)] });
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reports a tag whose image lost a layer', async () => {
    const registry = { host: testEnv().registries.anonymous.host };
    const repo = uniqueRepo('walk');
    const image = synthImage({ seed: repo, platforms: ['linux/amd64', 'linux/arm64'], layers: 1 });
    await pushImage(registry, repo, ['v1'], image);
    expect(await walkRepository(registry, repo)).toEqual({ tags: [{ tag: 'v1', digest: image.digest }], partial: [] });
    const layer = [...image.blobs.entries()].find(([, b]) => b.length === 1024)![0];
    expect((await rawRequest(registry, repo, 'DELETE', `/v2/${repo}/blobs/${layer}`)).status).toBe(202);
    const { partial } = await walkRepository(registry, repo);
    expect(partial).toEqual([expect.stringContaining(`blob ${layer} missing`)]);
  });
});
