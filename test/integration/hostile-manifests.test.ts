/**
 * Hostile manifests upstream (issue #9), served by the real registry where it stores them and
 * by the fault proxy in front of it where a real registry would refuse to: each one ends the
 * tag `failed` with a reason naming what was wrong, through the CLI's `sync` (exit 1), or held
 * before promotion by the closure gate, which resolves every manifest first (`rejected` for
 * content refused, `pending` for a registry that cannot serve what it lists), and nothing
 * reaches the target: no manifest written, no tag, no dependent told to rebuild.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OCI_INDEX, OCI_MANIFEST } from '../../functions/oci/media-types';
import { MAX_MANIFEST_BYTES } from '../../functions/oci/registry/manifest';
import { runCli } from '../helpers/cli-run';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { pushImage, synthImage, type SynthImage, type SynthManifest } from '../helpers/image-synth';
import { rawGetManifest, rawPushManifest, rawTags, sha256 } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const upstream = () => ({ host: testEnv().registries.anonymous.host });
let source: FaultProxy;
let target: FaultProxy;
let receiver: WebhookReceiver;
let dir: string;

beforeAll(async () => {
  [source, target, receiver] = await Promise.all([
    startFaultProxy({ upstream: `http://${upstream().host}` }),
    startFaultProxy({ upstream: `http://${upstream().host}` }),
    startWebhookReceiver(),
  ]);
});
afterAll(async () => {
  await Promise.all([source.stop(), target.stop(), receiver.close()]);
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-hostile-manifest-'));
  source.setRules([]);
  target.clearLog();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  receiver.assertDone(); // no delivery was expected: any one is a failure
});

/** A single-platform image pushed upstream whose manifest is `edit`ed first (its blobs pushed as they are). */
async function pushEdited(repo: string, edit: (manifest: Record<string, unknown>, image: SynthImage) => Record<string, unknown> | Buffer): Promise<{ image: SynthImage; bytes: Buffer; digest: string }> {
  const image = synthImage({ seed: repo, platforms: ['linux/amd64'], layers: 1 });
  await pushImage(upstream(), repo, [], image);
  const edited = edit(JSON.parse(image.bytes.toString()), image);
  const bytes = Buffer.isBuffer(edited) ? edited : Buffer.from(JSON.stringify(edited));
  await rawPushManifest(upstream(), repo, 'v1', OCI_MANIFEST, bytes);
  return { image, bytes, digest: sha256(bytes) };
}

/** A one-platform index pushed upstream untagged, and a copy of it naming its child by sha512 instead (pushed nowhere). */
async function pushSha512Index(repo: string): Promise<{ child: SynthManifest; sha512: string; index: Buffer }> {
  const image = synthImage({ seed: repo, platforms: ['linux/amd64'], layers: 1, index: true });
  await pushImage(upstream(), repo, [], image);
  const child = image.manifests[0];
  const sha512 = `sha512:${createHash('sha512').update(child.bytes).digest('hex')}`;
  return { child, sha512, index: Buffer.from(image.bytes.toString().replace(child.digest, sha512)) };
}

/** Syncs a config tracking `repo:v1` through the proxies; returns the tag's report. */
async function syncRepo(repo: string): Promise<{ code: number; report: { status: string; reason?: string }; stderr: string; targetRepo: string }> {
  const targetRepo = uniqueRepo('hostile-target');
  const file = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(
    file,
    [
      'target:',
      `  registry: "${target.host}"`,
      'images:',
      `  - source: ${source.host}/${repo}`,
      '    tags: [v1]',
      `    repository: ${targetRepo}`,
      '    dependents:',
      `      - { name: app, webhook: { url: "${receiver.url}/hook" } }`,
      '',
    ].join('\n'),
  );
  const run = await runCli('sync', '--config', file, '--json');
  return { code: run.code, report: JSON.parse(run.stdout).tags[0], stderr: run.stderr, targetRepo };
}

/** Nothing of the image reached the target: no manifest written, no tag. */
async function expectTargetUntouched(targetRepo: string): Promise<void> {
  expect(target.log.filter((e) => e.method === 'PUT' && e.path.includes('/manifests/'))).toEqual([]);
  expect(await rawTags(upstream(), targetRepo)).toEqual([]);
}

describe('hostile manifests: failed or held with a reason, nothing in the target', () => {
  it('an oversize manifest (over 4 MiB, padded with an annotation; served by the proxy: the registry refuses to store it)', async () => {
    const repo = uniqueRepo('hostile-oversize');
    const { bytes } = await pushEdited(repo, (m) => m);
    const padded = Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString()), annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) } }));
    source.setRules([manifestServed(repo, 'v1', padded, OCI_MANIFEST)]);
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(1);
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(/MANIFEST_TOO_LARGE: .* exceeds the 4194304-byte limit/) });
    await expectTargetUntouched(targetRepo);
  });

  it('deeply nested JSON (an extra field 200 levels deep)', async () => {
    const repo = uniqueRepo('hostile-deep');
    const { digest } = await pushEdited(repo, (m) => Buffer.from(JSON.stringify(m).replace(/}$/, `,"x":${'['.repeat(200)}${']'.repeat(200)}}`)));
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(0); // a gate's rejection, not an operational failure
    expect(report).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^closure: .*nests JSON more than 64 levels deep/) });
    expect(report.reason).toContain(digest);
    await expectTargetUntouched(targetRepo);
  });

  it('an unknown media type (served by the proxy: a registry stores only known ones)', async () => {
    const repo = uniqueRepo('hostile-type');
    const { bytes } = await pushEdited(repo, (m) => m);
    const weird = Buffer.from(bytes.toString().replace(OCI_MANIFEST, 'application/vnd.example.thing.v1+json'));
    source.setRules([manifestServed(repo, 'v1', weird, 'application/vnd.example.thing.v1+json')]);
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(1);
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(/MANIFEST_MEDIA_TYPE: .*"application\/vnd\.example\.thing\.v1\+json" is not an OCI or Docker v2 manifest or index/) });
    expect(target.log).toEqual([]); // refused at detect: the target is not even asked
    await expectTargetUntouched(targetRepo);
  });

  it('an index whose child resolves to the index itself (a lying registry: content addressing allows no real cycle)', async () => {
    const repo = uniqueRepo('hostile-self');
    const image = synthImage({ seed: repo, platforms: ['linux/amd64', 'linux/arm64'], layers: 1 });
    await pushImage(upstream(), repo, ['v1'], image);
    source.setRules([{ name: 'self', method: 'GET', path: new RegExp(`/manifests/${image.manifests[0].digest}$`), transform: () => ({ body: image.bytes, headers: { 'content-type': OCI_INDEX } }) }]);
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(0);
    expect(report).toMatchObject({ status: 'pending', reason: expect.stringMatching(new RegExp(`^closure: gate errored, will retry: DIGEST_MISMATCH: .*expected digest ${image.manifests[0].digest}, got ${image.digest}`)) });
    await expectTargetUntouched(targetRepo);
  });

  it('a child manifest named by another algorithm (sha512) that the upstream cannot serve', async () => {
    const repo = uniqueRepo('hostile-sha512');
    const { sha512, index } = await pushSha512Index(repo);
    source.setRules([manifestServed(repo, 'v1', index, OCI_INDEX)]);
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(0);
    expect(report.status).toBe('pending');
    expect(report.reason).toMatch(/^closure: gate errored, will retry: NOT_FOUND: /);
    expect(report.reason).toContain(sha512);
    await expectTargetUntouched(targetRepo);
  });

  it('a child manifest named by another algorithm (sha512) and served: the target refuses it, nothing is tagged', async () => {
    const repo = uniqueRepo('hostile-sha512-served');
    const { child, sha512, index } = await pushSha512Index(repo);
    source.setRules([
      manifestServed(repo, 'v1', index, OCI_INDEX),
      { name: 'sha512 child', path: new RegExp(`/manifests/${sha512}$`), respond: { status: 200, headers: { 'content-type': child.mediaType, 'docker-content-digest': sha512 }, body: child.bytes } },
    ]);
    const { code, report, targetRepo } = await syncRepo(repo);
    expect(code).toBe(1);
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(new RegExp(`PUT .*/manifests/${sha512} answered 400 \\(DIGEST_INVALID`)) });
    expect(await rawTags(upstream(), targetRepo)).toEqual([]);
    expect(await rawGetManifest(upstream(), targetRepo, sha256(index))).toBeUndefined();
  });

  it.each([
    ['smaller', -100],
    ['larger', 100],
  ])('a layer whose declared size is %s than its bytes', async (_how, delta) => {
    const repo = uniqueRepo('hostile-size');
    const { code, report, targetRepo } = await pushEdited(repo, (m) => {
      const layers = m.layers as Array<{ size: number }>;
      return { ...m, layers: [{ ...layers[0], size: layers[0].size + delta }] };
    }).then(() => syncRepo(repo));
    expect(code).toBe(1);
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(/SIZE_MISMATCH: blob sha256:[0-9a-f]{64} of .*(the registry sends \d+ bytes, the descriptor declares|its descriptor declares)/) });
    await expectTargetUntouched(targetRepo);
  });
});

/** Serves `bytes` as the manifest `repo:tag` and under its own digest (HEAD and GET), with its real digest and length. */
function manifestServed(repo: string, tag: string, bytes: Buffer, mediaType: string): FaultRule {
  return {
    name: 'hostile manifest',
    path: new RegExp(`^/v2/${repo}/manifests/(${tag}|${sha256(bytes)})$`),
    respond: { status: 200, headers: { 'content-type': mediaType, 'docker-content-digest': sha256(bytes) }, body: bytes },
  };
}
