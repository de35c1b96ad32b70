/**
 * Issue #4 through the CLI: what `basegate sync` writes into the base-image registry, and
 * `basegate rollback`. The upstream (anonymous registry) and the target (the token-auth registry,
 * or the anonymous one behind a second proxy where a test reads the target's request log) are the
 * real local registries; faults come from the fault proxy, and the killed copy is a real
 * `basegate` process killed with SIGKILL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { indexSchema } from '../../functions/oci/schema';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, pushReferrer, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetBlob, rawGetManifest, rawPushManifest, rawTags, type RawTarget } from '../helpers/raw-registry';
import { runCli } from '../helpers/cli-run';
import { spawnCli } from '../helpers/cli-child';
import { cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { uniqueRepo } from '../servers/test-env';

let upstream: FaultProxy;
/** In front of the anonymous registry used as a target, for its request log. */
let targetProxy: FaultProxy;
let ws: CliWorkspace;

beforeAll(async () => {
  [upstream, targetProxy] = await Promise.all([startFaultProxy({ upstream: `http://${upstreamRegistry().host}` }), startFaultProxy({ upstream: `http://${upstreamRegistry().host}` })]);
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), targetProxy?.stop()]);
});
beforeEach(() => {
  ws = cliWorkspace('basegate-promote-');
  upstream.setRules([]);
  targetProxy.setRules([]);
});
afterEach(() => ws.cleanup());

const digest12 = (digest: string) => digest.slice(7, 19);
const layersOf = (manifest: Buffer): string[] => (JSON.parse(manifest.toString()).layers as Array<{ digest: string }>).map((l) => l.digest);

/** An image entry tracking `repo` (through the upstream proxy) into `targetRepo`, with extra lines. */
function entry(repo: string, targetRepo: string, tags = '[v1]', extra: string[] = []): string {
  return [`  - source: ${upstream.host}/${repo}`, `    tags: ${tags}`, `    repository: ${targetRepo}`, ...extra.map((l) => `    ${l}`)].join('\n');
}

async function seed(image: SynthImage, tags = ['v1']): Promise<string> {
  const repo = uniqueRepo('up');
  await pushImage(upstreamRegistry(), repo, tags, image);
  return repo;
}

async function sync(config: string) {
  const result = await runCli('sync', '--config', config, '--json');
  if (!result.stdout.startsWith('{')) throw new Error(`sync (exit ${result.code}): ${result.stderr}`);
  return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
}

/** Every manifest and blob of `image` is in the target repository, byte for byte. */
async function expectComplete(target: RawTarget, repo: string, image: SynthImage): Promise<void> {
  expect((await rawGetManifest(target, repo, image.digest))?.bytes.equals(image.bytes)).toBe(true);
  for (const m of image.manifests) expect((await rawGetManifest(target, repo, m.digest))?.bytes.equals(m.bytes)).toBe(true);
  for (const [digest, bytes] of image.blobs) expect((await rawGetBlob(target, repo, digest))?.equals(bytes)).toBe(true);
}

describe('basegate sync promotes', () => {
  it('a multi-arch index byte for byte: same index digest, every child and blob, moving and immutable tags', async () => {
    const image = synthImage({ seed: 'promote-multiarch', platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] });
    const repo = await seed(image);
    const targetRepo = uniqueRepo('base');
    const { code, report } = await sync(ws.writeConfig(entry(repo, targetRepo)));
    expect(code).toBe(0);
    expect(report.tags[0]).toMatchObject({ status: 'promoted', digest: image.digest, targetDigest: image.digest, immutableTag: `v1-${digest12(image.digest)}` });
    expect(await rawTags(targetRegistry(), targetRepo)).toEqual(['v1', `v1-${digest12(image.digest)}`]);
    expect((await rawGetManifest(targetRegistry(), targetRepo, 'v1'))?.digest).toBe(image.digest);
    await expectComplete(targetRegistry(), targetRepo, image);
  });

  it('only the configured platforms: a valid, smaller index of the same media type, and nothing of the others', async () => {
    const image = synthImage({ seed: 'promote-filter', platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], format: 'docker' });
    const repo = await seed(image);
    const targetRepo = uniqueRepo('base');
    const { code, report } = await sync(ws.writeConfig(entry(repo, targetRepo, '[v1]', ['platforms: [linux/amd64, linux/arm64]'])));
    expect(code).toBe(0);
    const promoted = await rawGetManifest(targetRegistry(), targetRepo, 'v1');
    expect(promoted?.digest).toBe(report.tags[0].targetDigest);
    expect(promoted?.digest).not.toBe(image.digest);
    expect(promoted?.mediaType).toBe(image.mediaType);
    const index = indexSchema.parse(JSON.parse(promoted!.bytes.toString()));
    expect(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const m of image.manifests) {
      const kept = m.platform!.architecture !== 's390x';
      expect((await rawGetManifest(targetRegistry(), targetRepo, m.digest))?.bytes.equals(m.bytes) ?? false).toBe(kept);
      for (const layer of layersOf(m.bytes)) expect((await rawGetBlob(targetRegistry(), targetRepo, layer)) !== undefined).toBe(kept);
    }
    // The immutable tag names the upstream digest that was approved.
    expect(await rawTags(targetRegistry(), targetRepo)).toEqual(['v1', `v1-${digest12(image.digest)}`]);
  });

  // BlobLocations are kept beside the state (.basegate/blob-locations.json), so a later sync mounts what an earlier one put.
  it('a second image sharing a base layer, promoted by a later sync, mounts the layer instead of uploading it', async () => {
    const baseLayer = { seed: 'promote-shared-base', size: 40_000 };
    const first = synthImage({ seed: 'promote-mount-a', baseLayer, layers: 1 });
    const second = synthImage({ seed: 'promote-mount-b', baseLayer, layers: 1 });
    const [repoA, repoB] = [await seed(first), await seed(second)];
    const [targetA, targetB] = [uniqueRepo('base-a'), uniqueRepo('base-b')];
    const target = { target: `  registry: "${targetProxy.host}"` };
    expect((await sync(ws.writeConfig(entry(repoA, targetA), target))).code).toBe(0);
    targetProxy.clearLog();
    const { code, report } = await sync(ws.writeConfig(`${entry(repoA, targetA)}\n${entry(repoB, targetB)}`, target));
    expect(code).toBe(0);
    expect(report.tags.map((t: { status: string }) => t.status)).toEqual(['unchanged', 'promoted']);
    const shared = [...second.blobs.keys()].filter((d) => first.blobs.has(d));
    expect(shared).toHaveLength(2); // the base layer of each platform
    const mounts = targetProxy.log.filter((e) => e.method === 'POST' && e.path === `/v2/${targetB}/blobs/uploads/` && e.status === 201);
    for (const d of shared) {
      expect(mounts.some((e) => decodeURIComponent(e.query).includes(`mount=${d}`) && decodeURIComponent(e.query).includes(`from=${targetA}`))).toBe(true);
      expect(targetProxy.log.some((e) => (e.method === 'PUT' || e.method === 'PATCH') && decodeURIComponent(e.query).includes(d))).toBe(false);
    }
    const uploaded = targetProxy.log.filter((e) => (e.method === 'PUT' || e.method === 'PATCH') && e.path.includes('/blobs/uploads/')).reduce((n, e) => n + e.bytesIn, 0);
    expect(uploaded).toBe([...second.blobs].filter(([d]) => !first.blobs.has(d)).reduce((n, [, b]) => n + b.length, 0));
    await expectComplete({ host: upstreamRegistry().host }, targetB, second);
  });

  it('signatures and SBOMs that refer to the digest arrive with it (referrers tag and cosign tag)', async () => {
    const image = synthImage({ seed: 'promote-referrers', layers: 1 });
    const repo = await seed(image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    const sbom = await pushReferrer(upstreamRegistry(), repo, subject, { artifactType: 'application/spdx+json', payload: '{"spdxVersion":"SPDX-2.3"}' });
    const sig = await pushReferrer(upstreamRegistry(), repo, subject, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'sig', fallbackTag: true });
    const referrersTag = `sha256-${image.digest.slice(7)}`;
    const listing = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sbom.digest, size: sbom.bytes.length, artifactType: 'application/spdx+json' }] };
    await rawPushManifest(upstreamRegistry(), repo, referrersTag, listing.mediaType, Buffer.from(JSON.stringify(listing)));
    const targetRepo = uniqueRepo('base');
    const { code, report } = await sync(ws.writeConfig(entry(repo, targetRepo)));
    expect({ code, status: report.tags[0].status }).toEqual({ code: 0, status: 'promoted' });
    expect((await rawGetManifest(targetRegistry(), targetRepo, sbom.digest))?.bytes.equals(sbom.bytes)).toBe(true);
    expect((await rawGetManifest(targetRegistry(), targetRepo, `${referrersTag}.sig`))?.digest).toBe(sig.digest);
    const kept = await rawGetManifest(targetRegistry(), targetRepo, referrersTag);
    expect(indexSchema.parse(JSON.parse(kept!.bytes.toString())).manifests.map((m) => m.digest)).toEqual([sbom.digest]);
    const audit = fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"stage":"promote".*"referrers":2/);
  });
});

describe('basegate sync refuses bad bytes and survives a crash', () => {
  it('a blob corrupted in transit: the tag fails (exit 1), nothing is tagged in the target; the next clean sync promotes', async () => {
    const image = synthImage({ seed: 'promote-corrupt', layers: 2, layerSize: 20_000 });
    const repo = await seed(image);
    const targetRepo = uniqueRepo('base');
    const config = ws.writeConfig(entry(repo, targetRepo));
    const victim = layersOf(image.manifests[1].bytes)[1];
    upstream.setRules([{ name: 'corrupt', method: 'GET', path: new RegExp(`/blobs/${victim}$`), corrupt: { at: 10_000 } }]);
    const bad = await sync(config);
    expect(bad.code).toBe(1);
    expect(bad.report.tags[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('DIGEST_MISMATCH') });
    expect(upstream.log.some((e) => e.rule === 'corrupt')).toBe(true);
    expect(await rawTags(targetRegistry(), targetRepo)).toEqual([]);
    expect(await rawGetBlob(targetRegistry(), targetRepo, victim)).toBeUndefined();
    expect(await rawGetManifest(targetRegistry(), targetRepo, image.digest)).toBeUndefined();
    const status = JSON.parse((await runCli('status', '--config', config, '--json')).stdout).tags[0];
    expect(status).toMatchObject({ status: 'failed', reason: expect.stringContaining('DIGEST_MISMATCH') });

    upstream.setRules([]);
    const good = await sync(config);
    expect(good).toMatchObject({ code: 0, report: { tags: [{ status: 'promoted', targetDigest: image.digest }] } });
    await expectComplete(targetRegistry(), targetRepo, image);
  });

  it('a basegate process killed mid-copy leaves no tag; the next sync takes over its lock, skips what arrived and completes', async () => {
    const image = synthImage({ seed: 'promote-killed', platforms: ['linux/amd64', 'linux/arm64', 'linux/ppc64le'], layers: 3, layerSize: 8000 });
    const repo = await seed(image);
    const targetRepo = uniqueRepo('base');
    const config = ws.writeConfig(entry(repo, targetRepo, '[v1]', []), { target: `  registry: "${targetProxy.host}"` });
    // Slow blob reads down so the process is killed with part of the blobs in the target.
    upstream.setRules([{ name: 'slow', method: 'GET', path: /\/blobs\/sha256:/, delayMs: 400 }]);
    targetProxy.clearLog();
    const run = spawnCli(['sync', '--config', config]);
    const committed = () => targetProxy.log.filter((e) => e.method === 'PUT' && e.path.startsWith(`/v2/${targetRepo}/blobs/uploads/`) && e.status === 201).length;
    const deadline = Date.now() + 60_000;
    while (committed() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    // What arrived is what the target holds (the proxy's count of answered PUTs can include a blob
    // the dying process wrote twice, or miss one whose answer the kill cut off).
    const arrived = await Promise.all([...image.blobs.keys()].map(async (d) => (await rawGetBlob(upstreamRegistry(), targetRepo, d)) !== undefined));
    const before = arrived.filter(Boolean).length;
    expect(committed()).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(image.blobs.size);
    expect(await rawTags(upstreamRegistry(), targetRepo)).toEqual([]);
    expect(await rawGetManifest(upstreamRegistry(), targetRepo, image.digest)).toBeUndefined();

    // The killed process could not release its state lock.
    expect(fs.existsSync(`${ws.stateFile()}.lock`)).toBe(true);

    upstream.setRules([]);
    // The next sync takes the dead process's lock over (with a warning on stderr) instead of exiting 3.
    const resumed = await sync(config);
    expect(resumed.code).toBe(0);
    expect(resumed.report.tags[0]).toMatchObject({ status: 'promoted', targetDigest: image.digest });
    expect(fs.existsSync(`${ws.stateFile()}.lock`)).toBe(false);
    const audit = fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // The resumed run's promotion (the last one audited); what arrived before the kill is found
    // in the target (skipped) or mounted, never uploaded again. On failure the diff shows the entry.
    const promoted = audit.filter((a) => a.stage === 'promote' && a.outcome === 'promoted').at(-1);
    const { blobsSkipped, blobsMounted, blobsUploaded } = promoted?.detail ?? {};
    expect({ reusedAllThatArrived: blobsSkipped + blobsMounted >= before, before, detail: promoted?.detail, promotions: audit.filter((a) => a.stage === 'promote').length })
      .toMatchObject({ reusedAllThatArrived: true, promotions: 1 });
    expect(blobsUploaded + blobsSkipped + blobsMounted).toBe(image.blobs.size);
    expect(await rawTags(upstreamRegistry(), targetRepo)).toEqual(['v1', `v1-${digest12(image.digest)}`]);
    await expectComplete(upstreamRegistry(), targetRepo, image);
  }, 120_000);
});

describe('basegate rollback', () => {
  it('points the moving tag back at an earlier promotion, is audited, holds on the next sync, and lets a new upstream digest through', async () => {
    const [v1, v2, v3] = ['one', 'two', 'three'].map((n) => synthImage({ seed: `rollback-${n}`, layers: 1 }));
    const repo = await seed(v1, ['20-alpine']);
    const targetRepo = uniqueRepo('base');
    const config = ws.writeConfig(entry(repo, targetRepo, '["20-alpine"]'));
    const pointsAt = async () => (await rawGetManifest(targetRegistry(), targetRepo, '20-alpine'))?.digest;
    expect((await sync(config)).code).toBe(0);
    await pushImage(upstreamRegistry(), repo, ['20-alpine'], v2);
    expect((await sync(config)).code).toBe(0);
    expect(await pointsAt()).toBe(v2.digest);

    const source = `${upstream.host}/${repo}:20-alpine`;
    const unknown = await runCli('rollback', '--config', config, source, '--to', '20-alpine-000000000000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`earlier promotions: 20-alpine-${digest12(v1.digest)}`);
    expect(await pointsAt()).toBe(v2.digest);

    const back = await runCli('rollback', '--config', config, source, '--to', `20-alpine-${digest12(v1.digest)}`);
    expect(back).toMatchObject({ code: 0, stdout: expect.stringContaining(`now points at 20-alpine-${digest12(v1.digest)}`) });
    expect(await pointsAt()).toBe(v1.digest);
    expect((await rawGetManifest(targetRegistry(), targetRepo, `20-alpine-${digest12(v2.digest)}`))?.digest).toBe(v2.digest);
    const audit = fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(new RegExp(`"stage":"rollback".*"digest":"${v1.digest}".*"outcome":"rolled-back"`));
    const status = JSON.parse((await runCli('status', '--config', config, '--json')).stdout).tags[0];
    expect(status.promoted).toMatchObject({ sourceDigest: v1.digest, rollback: true });

    // Upstream still serves v2: the next sync does not undo the rollback.
    const held = await sync(config);
    expect(held.report.tags[0]).toMatchObject({ status: 'unchanged', reason: expect.stringContaining('rolled back') });
    expect(await pointsAt()).toBe(v1.digest);

    // Rolling back by digest works too, and upstream moving on is promoted again.
    expect((await runCli('rollback', '--config', config, source, '--to', v2.digest)).code).toBe(0);
    expect(await pointsAt()).toBe(v2.digest);
    await pushImage(upstreamRegistry(), repo, ['20-alpine'], v3);
    expect((await sync(config)).report.tags[0]).toMatchObject({ status: 'promoted', digest: v3.digest });
    expect(await pointsAt()).toBe(v3.digest);
  });
});
