/**
 * Issue #17 item 3: `basegate diff IMAGE:TAG` on the real local registries. v1 (one platform,
 * two layers, version label 1.0) is promoted; upstream then moves v1 to an index that adds
 * linux/arm64, adds one layer to linux/amd64 and changes the version label. The labels gate
 * holds the new digest, so state has promoted → pending, which is what `diff` compares by default.
 */
import { runCli } from '../helpers/cli-run';
import { cliWorkspace, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawRequest } from '../helpers/raw-registry';
import { uniqueRepo } from '../servers/test-env';

const VERSION = 'org.opencontainers.image.version';
let ws: CliWorkspace;

beforeEach(() => {
  ws = cliWorkspace('basegate-diff-');
});
afterEach(() => ws.cleanup());

async function seeded() {
  const repo = uniqueRepo('diffed');
  const source = `${upstreamRegistry().host}/${repo}`;
  const v1 = synthImage({ seed: 'diff', platforms: ['linux/amd64'], layers: 2, labels: { [VERSION]: '1.0', keep: 'same' } });
  const v2 = synthImage({ seed: 'diff', platforms: ['linux/amd64', 'linux/arm64'], layers: 3, labels: { [VERSION]: '1.1', keep: 'same' } });
  await pushImage(upstreamRegistry(), repo, ['v1'], v1);
  const targetRepo = uniqueRepo('base');
  const config = ws.writeConfig([`  - source: ${source}`, '    tags: [v1]', `    repository: ${targetRepo}`, `    gates: { labels: { ${VERSION}: "^1\\\\.0$" } }`].join('\n'));
  expect((await runCli('sync', '--config', config)).code).toBe(0);
  await pushImage(upstreamRegistry(), repo, ['v1'], v2);
  const held = JSON.parse((await runCli('sync', '--config', config, '--json')).stdout).tags[0];
  expect(held).toMatchObject({ status: 'rejected', digest: v2.digest });
  return { source, config, v1, v2, targetRepo };
}

describe('basegate diff', () => {
  it('--json: exactly the added platform, the new layer and the changed label, promoted → pending by default', async () => {
    const { source, config, v1, v2 } = await seeded();
    const result = await runCli('diff', '--config', config, `${source}:v1`, '--json');
    expect(result.code).toBe(0);
    const diff = JSON.parse(result.stdout);
    const amd64 = (bytes: Buffer) => JSON.parse(bytes.toString()) as { config: { size: number }; layers: Array<{ size: number }> };
    const size = (m: ReturnType<typeof amd64>) => m.config.size + m.layers.reduce((s, l) => s + l.size, 0);
    const before = size(amd64(v1.manifests[0].bytes));
    const after = size(amd64(v2.manifests[0].bytes));
    expect(diff).toEqual({
      image: `${source}:v1`,
      from: v1.digest,
      to: v2.digest,
      platforms: { added: ['linux/arm64'], removed: [], kept: ['linux/amd64'] },
      perPlatform: [
        { platform: 'linux/arm64', change: 'added', size: { to: size(amd64(v2.manifests[1].bytes)), delta: size(amd64(v2.manifests[1].bytes)) }, layers: { shared: 0, added: 3, removed: 0, addedBytes: 3072 }, config: [] },
        { platform: 'linux/amd64', change: 'changed', size: { from: before, to: after, delta: after - before }, layers: { shared: 2, added: 1, removed: 0, addedBytes: 1024 }, config: [{ field: `label:${VERSION}`, from: '1.0', to: '1.1' }] },
      ],
    });
  });

  it('text: one line per platform with the label change under it; --from/--to pick other digests', async () => {
    const { source, config, v1, v2 } = await seeded();
    const text = await runCli('diff', '--config', config, `${source}:v1`);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${source}:v1  ${v1.digest.slice(0, 19)} -> ${v2.digest.slice(0, 19)}`);
    expect(lines[1]).toBe('platforms added: linux/arm64; removed: none; kept: 1');
    expect(lines[2]).toMatch(/^linux\/arm64 {2}added {2}[\d.]+KB {2}layers: 0 shared, 3 new \(3\.1KB\), 0 removed$/);
    expect(lines[3]).toMatch(/^linux\/amd64 {2}changed {2}[\d.]+KB -> [\d.]+KB \(\+[\d.]+KB\) {2}layers: 2 shared, 1 new \(1KB\), 0 removed$/);
    expect(lines.slice(4)).toEqual([`    label ${VERSION}: "1.0" -> "1.1"`]);

    const reversed = JSON.parse((await runCli('diff', '--config', config, `${source}:v1`, '--from', v2.digest, '--to', v1.digest, '--json')).stdout);
    expect(reversed.platforms).toEqual({ added: [], removed: ['linux/arm64'], kept: ['linux/amd64'] });
    expect(reversed.perPlatform[0]).toMatchObject({ platform: 'linux/amd64', layers: { shared: 2, added: 0, removed: 1 } });
  });

  it('refuses a --from that is not a digest and an untracked image (exit 2)', async () => {
    const { source, config } = await seeded();
    expect(await runCli('diff', '--config', config, `${source}:v1`, '--from', 'latest')).toMatchObject({ code: 2, stderr: expect.stringContaining('--from expects a digest') });
    expect(await runCli('diff', '--config', config, 'docker.io/library/other:v1')).toMatchObject({ code: 2, stderr: expect.stringContaining('is not tracked') });
  });

  it('a verdict held for approval carries the same summary: basegate status shows it', async () => {
    const { source, v1, v2, targetRepo } = await seeded();
    // The approval gate holds the new digest instead of the labels gate rejecting it.
    const approvalConfig = ws.writeConfig([`  - source: ${source}`, '    tags: [v1]', `    repository: ${targetRepo}`, '    gates: { approval: manual }'].join('\n'));
    const held = JSON.parse((await runCli('sync', '--config', approvalConfig, '--json')).stdout).tags[0];
    expect(held).toMatchObject({ status: 'pending', digest: v2.digest });
    const view = JSON.parse((await runCli('status', '--config', approvalConfig, '--json')).stdout).tags[0];
    const diff = JSON.parse((await runCli('diff', '--config', approvalConfig, `${source}:v1`, '--json')).stdout);
    const { image: _image, ...summary } = diff;
    expect(view.verdict.diff).toEqual(summary);
    expect(view.verdict.diff).toMatchObject({ from: v1.digest, to: v2.digest, platforms: { added: ['linux/arm64'] } });
    const text = (await runCli('status', '--config', approvalConfig)).stdout;
    expect(text).toContain(`    changes: +linux/arm64, 4 new layers, +`);
    expect(text).toContain(`label ${VERSION}: "1.0" -> "1.1" (basegate diff ${source}:v1 for more)`);
  });

  it('reads the promoted digest from the target when upstream no longer has it', async () => {
    const { source, config, v1, v2 } = await seeded();
    const repo = source.slice(source.indexOf('/') + 1);
    expect((await rawRequest(upstreamRegistry(), repo, 'DELETE', `/v2/${repo}/manifests/${v1.digest}`)).status).toBe(202);
    const diff = JSON.parse((await runCli('diff', '--config', config, `${source}:v1`, '--json')).stdout);
    expect(diff).toMatchObject({ from: v1.digest, to: v2.digest, platforms: { added: ['linux/arm64'], removed: [], kept: ['linux/amd64'] } });
    expect(diff.perPlatform[1]).toMatchObject({ platform: 'linux/amd64', change: 'changed', config: [{ field: `label:${VERSION}`, from: '1.0', to: '1.1' }] });
  });
});

