/**
 * What is promoted is what was judged (issue #16), tried as a hostile upstream would:
 * - an index whose judged linux/amd64 entry is small while a large layer hides behind an
 *   attestation-annotated entry (a filesystem layer in disguise, or a genuine-looking in-toto
 *   layer) or behind a nested index, synced by `basegate sync` with `maxSize`: rejected, and the
 *   target's request log shows no blob upload at all;
 * - a closure over `maxTotalSize`, or over `maxManifests`, refused before any byte moves (the
 *   target sees no request; the source was asked for nothing past the bound);
 * - the referrers copied are the ones the gates saw, not one pushed after the verdict;
 * - the Azure import path (ARM importImage takes an index whole) judges every runnable entry
 *   of an index, and AcrImportPromoter refuses an approval that did not cover them all.
 * Real docker-registry instances behind the logging fault proxy; ARM is its contract fake.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { AcrImportPromoter } from '../../functions/azure/acr-import-promoter';
import { createArmClient } from '../../functions/azure/arm-client';
import { ContentRejectedError } from '../../functions/errors';
import { createGates } from '../../functions/gates/create-gates';
import { createImageInspector } from '../../functions/gates/image-inspector';
import { copyImage } from '../../functions/oci/copy';
import { CopyPromoter } from '../../functions/oci/copy-promoter';
import { OCI_INDEX } from '../../functions/oci/media-types';
import { parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { judgedClosure, validateDigest } from '../../functions/pipeline/validate';
import type { JudgedClosure } from '../../functions/pipeline/ports';
import { runCli } from '../helpers/cli-run';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { functionsAppFixture } from '../helpers/functions-app-fixture';
import { entry, pushHostileIndex, pushIndex, pushPlatformImage, type HostileShape } from '../helpers/hostile-closure';
import { pushReferrer } from '../helpers/image-synth';
import { rawGetManifest, rawPushManifest, rawTags } from '../helpers/raw-registry';
import { staticCredential } from '../helpers/static-credential';
import { ArmContractFake } from '../servers/arm-contract-fake';
import { testEnv, uniqueRepo } from '../servers/test-env';

const upstream = () => ({ host: testEnv().registries.anonymous.host });
/** Bytes of the hidden layer, three times the maxSize the syncs set. */
const BIG = 3_000_000;
let source: FaultProxy;
let target: FaultProxy;
let dir: string;
const clients: RemoteRegistry[] = [];

beforeAll(async () => {
  [source, target] = await Promise.all([startFaultProxy({ upstream: `http://${upstream().host}` }), startFaultProxy({ upstream: `http://${upstream().host}` })]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([source.stop(), target.stop()]);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-closure-'));
  source.clearLog();
  target.clearLog();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function registry(): RemoteRegistry {
  const r = new RemoteRegistry({ retry: { maxAttempts: 1 } });
  clients.push(r);
  return r;
}

/** A repository reference without the default tag (what promote requests name). */
const repository = (text: string) => parseReference(text).withTag(undefined);

/** Blob uploads the target saw (a POST opening a session, or any PUT/PATCH to one). */
const uploads = () => target.log.filter((e) => e.path.includes('/blobs/uploads/'));

/** `basegate sync --json` of `source/repo:v1` into the target proxy; the tag's report. */
async function sync(repo: string, gates: string[], platforms = '[linux/amd64]'): Promise<{ code: number; report: { status: string; reason?: string }; targetRepo: string }> {
  const targetRepo = uniqueRepo('closure-target');
  const file = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(
    file,
    ['target:', `  registry: "${target.host}"`, 'images:', `  - source: ${source.host}/${repo}`, '    tags: [v1]', `    repository: ${targetRepo}`, `    platforms: ${platforms}`, '    gates:', ...gates.map((g) => `      ${g}`), ''].join('\n'),
  );
  const run = await runCli('sync', '--config', file, '--json');
  return { code: run.code, report: JSON.parse(run.stdout).tags[0], targetRepo };
}

describe('a large layer hidden where the old gates did not look: rejected, zero blob uploads', () => {
  it.each<[HostileShape, RegExp]>([
    // Content decides: a filesystem layer makes it a platform, whatever the annotations say.
    ['runnable-as-attestation', /^maxSize: unknown\/unknown: 3MB compressed/],
    // An attestation is judged with the image it annotates: its bytes count there.
    ['oversize-attestation', /^maxSize: linux\/amd64: 3MB compressed \(\d+ bytes, 3000\d{3} of them in its attachments\)/],
    // A nested index is promoted whole, so every image in it is judged.
    ['nested-index', /^maxSize: linux\/amd64: 3MB compressed/],
  ])('%s', async (shape, reason) => {
    const repo = uniqueRepo(`closure-${shape}`);
    const { hidden } = await pushHostileIndex(upstream(), repo, shape, BIG);
    const { code, report, targetRepo } = await sync(repo, ['maxSize: 1MB']);
    expect({ code, status: report.status }).toEqual({ code: 0, status: 'rejected' });
    expect(report.reason).toMatch(reason);
    expect(uploads()).toEqual([]);
    expect(target.log.filter((e) => e.method === 'PUT')).toEqual([]);
    expect(await rawTags(upstream(), targetRepo)).toEqual([]);
    // The hiding manifest was read and judged: the source served it.
    expect(source.log.some((e) => e.method === 'GET' && e.path.endsWith(`/manifests/${hidden.digest}`))).toBe(true);
  });

  it('control: the small image alone passes the same gate and its blobs are uploaded (the log would show them)', async () => {
    const repo = uniqueRepo('closure-control');
    const small = await pushPlatformImage(upstream(), repo, { seed: `${repo}-small`, platform: 'linux/amd64', layers: [2048] });
    await pushIndex(upstream(), repo, 'v1', [entry(small, { platform: { os: 'linux', architecture: 'amd64' } })]);
    const { code, report } = await sync(repo, ['maxSize: 1MB']);
    expect({ code, status: report.status }).toEqual({ code: 0, status: 'promoted' });
    expect(uploads().filter((e) => e.method === 'POST').length).toBe(2); // its config and its layer
  });
});

describe('bounds refused before any byte moves', () => {
  it('sync: a closure over maxTotalSize is rejected by the closure gate; the target sees no request', async () => {
    const repo = uniqueRepo('closure-total');
    const amd64 = await pushPlatformImage(upstream(), repo, { seed: `${repo}-a`, platform: 'linux/amd64', layers: [700_000] });
    const arm64 = await pushPlatformImage(upstream(), repo, { seed: `${repo}-b`, platform: 'linux/arm64', layers: [700_000] });
    await pushIndex(upstream(), repo, 'v1', [entry(amd64, { platform: { os: 'linux', architecture: 'amd64' } }), entry(arm64, { platform: { os: 'linux', architecture: 'arm64' } })]);
    const { code, report } = await sync(repo, ['maxTotalSize: 1MB'], '[linux/amd64, linux/arm64]');
    expect({ code, status: report.status }).toEqual({ code: 0, status: 'rejected' });
    expect(report.reason).toMatch(/^closure: .*promoting it would write more than 1000000 bytes \(maxTotalSize/);
    expect(target.log).toEqual([]);
  });

  it('copy: copyImage over maxTotalSize throws CLOSURE_TOO_LARGE before any request reaches the target', async () => {
    const repo = uniqueRepo('closure-copy-total');
    const { index } = await pushHostileIndex(upstream(), repo, 'nested-index', BIG);
    const err = await copyImage({
      source: registry(),
      sourceRef: parseReference(`${source.host}/${repo}@${index.digest}`),
      target: registry(),
      targetRef: parseReference(`${target.host}/${uniqueRepo('closure-copy-target')}:v1`),
      limits: { maxTotalSize: 2_000_000 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentRejectedError);
    expect(err).toMatchObject({ code: 'CLOSURE_TOO_LARGE' });
    expect(target.log).toEqual([]);
  });

  it('copy: an index over maxManifests is refused having fetched only the index', async () => {
    const repo = uniqueRepo('closure-count');
    const images = await Promise.all([0, 1, 2, 3, 4].map((i) => pushPlatformImage(upstream(), repo, { seed: `${repo}-${i}`, platform: 'linux/amd64', layers: [64] })));
    const index = await pushIndex(upstream(), repo, 'v1', images.map((m, i) => entry(m, { platform: { os: 'linux', architecture: 'amd64', variant: `v${i + 1}` } })));
    source.clearLog();
    const err = await copyImage({
      source: registry(),
      sourceRef: parseReference(`${source.host}/${repo}@${index.digest}`),
      target: registry(),
      targetRef: parseReference(`${target.host}/${uniqueRepo('closure-count-target')}:v1`),
      limits: { maxManifests: 4 },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLOSURE_TOO_MANY_MANIFESTS', message: expect.stringMatching(/more than 4 manifests \(maxManifests\)/) });
    expect(source.log.filter((e) => e.path.includes('/manifests/')).map((e) => e.path)).toEqual([`/v2/${repo}/manifests/${index.digest}`]);
    expect(target.log).toEqual([]);
  });

  it('copy: a closure holding a manifest the gates did not judge is refused before any request reaches the target', async () => {
    const repo = uniqueRepo('closure-unjudged');
    const { index, small, hidden } = await pushHostileIndex(upstream(), repo, 'nested-index', 4096);
    const judged: JudgedClosure = { manifests: [index.digest, small.digest].sort(), referrers: [], totalSize: 0 };
    const promoter = new CopyPromoter({ source: registry(), target: registry() });
    const err = await promoter
      .promote({ source: parseReference(`${source.host}/${repo}@${index.digest}`), target: repository(`${target.host}/${uniqueRepo('closure-unjudged-target')}`), tags: ['v1'], judged })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLOSURE_NOT_JUDGED' });
    expect((err as Error).message).toContain(`${hidden.digest} (index)`);
    expect(target.log).toEqual([]);
  });
});

describe('the referrers copied are the ones the gates saw', () => {
  it('a signature pushed after the verdict is not promoted; the one judged is', async () => {
    const repo = uniqueRepo('closure-referrers');
    const small = await pushPlatformImage(upstream(), repo, { seed: `${repo}-small`, platform: 'linux/amd64', layers: [1024] });
    const seen = await pushReferrer(upstream(), repo, small, { artifactType: 'application/vnd.example.sig', payload: 'judged signature' });
    // docker-registry 2.8 has no referrers API: its clients keep the referrers tag schema's index.
    await pushReferrersTag(repo, small.digest, [seen]);
    await rawPushManifest(upstream(), repo, 'v1', small.mediaType, small.bytes);
    const source = registry();
    const ref = parseReference(`${upstream().host}/${repo}@${small.digest}`);
    const inspector = createImageInspector(source, ref, {});
    const judged = judgedClosure(await inspector.closure());
    expect(judged.referrers).toEqual([seen.digest]);
    const late = await pushReferrer(upstream(), repo, small, { artifactType: 'application/vnd.example.sig', payload: 'pushed after the verdict' });
    await pushReferrersTag(repo, small.digest, [seen, late]);
    const targetRepo = uniqueRepo('closure-referrers-target');
    const result = await new CopyPromoter({ source, target: registry() }).promote({ source: ref, target: repository(`${target.host}/${targetRepo}`), tags: ['v1'], judged });
    expect(result.referrers).toBe(1);
    expect(await rawGetManifest(upstream(), targetRepo, seen.digest)).toBeDefined();
    expect(await rawGetManifest(upstream(), targetRepo, late.digest)).toBeUndefined();
  });
});

/** The referrers tag schema's index (`sha256-<hex>`) listing `referrers` of `subject`. */
async function pushReferrersTag(repo: string, subject: string, referrers: Array<{ digest: string; bytes: Buffer }>): Promise<void> {
  const manifests = referrers.map((r) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: r.digest, size: r.bytes.length, artifactType: 'application/vnd.example.sig' }));
  await pushIndex(upstream(), repo, subject.replace(':', '-'), manifests);
}

describe('the Azure import path judges every runnable entry of an index', () => {
  const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
  const RESOURCE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-base/providers/Microsoft.ContainerRegistry/registries/contosobase`;

  /** An index of linux/amd64 and linux/arm64 entries and a nested index holding a linux/s390x image. */
  async function pushThreePlatforms(repo: string) {
    const amd64 = await pushPlatformImage(upstream(), repo, { seed: `${repo}-amd64`, platform: 'linux/amd64', layers: [1000] });
    const arm64 = await pushPlatformImage(upstream(), repo, { seed: `${repo}-arm64`, platform: 'linux/arm64', layers: [2000] });
    const s390x = await pushPlatformImage(upstream(), repo, { seed: `${repo}-s390x`, platform: 'linux/s390x', layers: [3000] });
    const nested = await pushIndex(upstream(), repo, undefined, [entry(s390x, { platform: { os: 'linux', architecture: 's390x' } })]);
    const index = await pushIndex(upstream(), repo, 'v1', [entry(amd64, { platform: { os: 'linux', architecture: 'amd64' } }), entry(arm64, { platform: { os: 'linux', architecture: 'arm64' } }), entry(nested)]);
    return { index, amd64, arm64, nested, s390x };
  }

  it('composed for ACR import (target.acr), validation judges every entry although platforms: lists one', async () => {
    const repo = uniqueRepo('closure-azure');
    const { index, amd64, arm64, s390x } = await pushThreePlatforms(repo);
    const fx = await functionsAppFixture({
      config: ['target:', '  registry: contosobase.azurecr.io', `  acr: { resourceId: ${RESOURCE_ID}, lockImmutableTags: false }`, 'images:', `  - source: ${upstream().host}/${repo}`, '    tags: [v1]', '    platforms: [linux/amd64]', '    gates: { maxSize: 1GB }', ''].join('\n'),
    });
    try {
      expect(fx.runtime.deps.promoter.filtersPlatforms).toBe(false);
      const image = fx.runtime.images[0];
      const verdict = await validateDigest({ image, tag: 'v1', digest: index.digest }, fx.runtime.deps);
      expect(verdict.outcome).toBe('approved');
      const sizes = verdict.gates.find((g) => g.gate === 'maxSize')!.detail!.sizes as Array<{ platform: string; digest: string }>;
      expect(sizes.map((s) => [s.platform, s.digest])).toEqual([
        ['linux/amd64', amd64.digest],
        ['linux/arm64', arm64.digest],
        ['linux/s390x', s390x.digest],
      ]);
      expect(verdict.closure!.manifests).toEqual(expect.arrayContaining([index.digest, amd64.digest, arm64.digest, s390x.digest]));
    } finally {
      await fx.runtime.close();
      fx.cleanup();
    }
  });

  describe('AcrImportPromoter', () => {
    let fake: ArmContractFake;
    let client: ContainerRegistryManagementClient;
    let registryId: string;
    beforeAll(async () => {
      fake = await ArmContractFake.start();
      registryId = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-base', name: 'contosobase', storage: upstream() });
      client = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca });
    });
    afterEach(() => fake.assertDone());
    afterAll(() => fake.close());

    const promoter = () => new AcrImportPromoter({ client, registry: registryId, sourceRegistry: registry(), targetRegistry: registry(), pollIntervalMs: 10, timeoutMs: 30_000 });

    it('refuses an approval that judged the filtered copy of an index it would import whole, before any importImage', async () => {
      const repo = uniqueRepo('closure-acr-refuse');
      const { index, amd64, arm64, nested, s390x } = await pushThreePlatforms(repo);
      // What the gates of a filtering copy would have judged.
      const inspector = createImageInspector(registry(), parseReference(`${upstream().host}/${repo}@${index.digest}`), { platforms: ['linux/amd64'] });
      const judged = judgedClosure(await inspector.closure());
      // The copy keeps linux/amd64 and the nested index (an entry without a platform is kept, whole).
      expect(judged.manifests).toEqual([index.digest, amd64.digest, nested.digest, s390x.digest].sort());
      const err = await promoter()
        .promote({ source: parseReference(`${upstream().host}/${repo}@${index.digest}`), target: repository(`contosobase.azurecr.io/${uniqueRepo('closure-acr-target')}`), tags: ['v1', 'v1-imm'], platforms: ['linux/amd64'], judged })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CLOSURE_NOT_JUDGED' });
      expect((err as Error).message).toMatch(/ACR import copies an index whole/);
      expect((err as Error).message).toContain(`would promote 1 manifest(s) the gates did not judge (${arm64.digest} (runnable image linux/arm64))`);
      expect(fake.imports).toEqual([]);
    });

    it('imports when every entry was judged', async () => {
      const repo = uniqueRepo('closure-acr-import');
      const { index } = await pushThreePlatforms(repo);
      const inspector = createImageInspector(registry(), parseReference(`${upstream().host}/${repo}@${index.digest}`), {});
      const judged = judgedClosure(await inspector.closure());
      expect(judged.manifests).toHaveLength(5);
      const targetRepo = uniqueRepo('closure-acr-target');
      fake.expectImport();
      fake.expectImport();
      const result = await promoter().promote({ source: parseReference(`${upstream().host}/${repo}@${index.digest}`), target: repository(`${upstream().host}/${targetRepo}`), tags: ['v1', 'v1-imm'], judged });
      expect(result).toMatchObject({ digest: index.digest, manifests: 5 });
      expect((await rawGetManifest(upstream(), targetRepo, 'v1'))?.mediaType).toBe(OCI_INDEX);
    });
  });
});

// createGates is what both compositions use; the closure gate is part of every set.
test('every gate set ends with the closure gate', () => {
  expect(createGates({ gates: {} }).map((g) => g.name)).toEqual(['closure']);
});
