/**
 * The CLI's contract, end to end on the real local registries: an upstream behind a counting
 * proxy, a token-auth target registry, a state file in a temp dir.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawGetManifest, rawTags } from '../helpers/raw-registry';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { runCli } from '../helpers/cli-run';
import { testEnv, uniqueRepo } from '../servers/test-env';

let proxy: FaultProxy;
let dir: string;
const upstreamTarget = () => ({ host: testEnv().registries.anonymous.host });
const target = () => {
  const t = testEnv().registries.token;
  const [username, password] = Object.entries(t.users)[0];
  return { host: t.host, username, password };
};

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: `http://${testEnv().registries.anonymous.host}` });
});
afterAll(async () => {
  await proxy.stop();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-cli-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(images: string): string {
  const t = target();
  const file = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(
    file,
    [
      'registries:',
      `  "${t.host}":`,
      `    username: ${t.username}`,
      '    password: ${TARGET_PASSWORD}',
      'target:',
      `  registry: "${t.host}"`,
      'images:',
      images,
    ].join('\n'),
  );
  process.env.TARGET_PASSWORD = t.password;
  return file;
}

describe('basegate check and sync', () => {
  it('detects new tags without writing anything, then promotes them, then finds them unchanged', async () => {
    const repo = uniqueRepo('upstream');
    const imageA = synthImage({ seed: `${repo}-a`, layers: 2 });
    const imageB = synthImage({ seed: `${repo}-b`, layers: 2, format: 'docker' });
    await pushImage(upstreamTarget(), repo, ['a'], imageA);
    await pushImage(upstreamTarget(), repo, ['b'], imageB);
    const targetRepo = uniqueRepo('base');
    const config = writeConfig(`  - source: ${proxy.host}/${repo}\n    tags: [a, b]\n    repository: ${targetRepo}`);

    const check = await runCli('check', '--config', config, '--json');
    expect(check.code).toBe(0);
    const checked = JSON.parse(check.stdout);
    expect(checked.tags.map((t: { tag: string; status: string; digest: string }) => [t.tag, t.status, t.digest])).toEqual([
      ['a', 'new', imageA.digest],
      ['b', 'new', imageB.digest],
    ]);
    expect(fs.existsSync(path.join(dir, '.basegate'))).toBe(false);

    const sync = await runCli('sync', '--config', config, '--json');
    expect(sync.stderr).toContain('promoted');
    expect(sync.code).toBe(0);
    const report = JSON.parse(sync.stdout);
    expect(report.totals.promoted).toBe(2);
    expect((await rawGetManifest(target(), targetRepo, 'a'))?.digest).toBe(imageA.digest);
    expect((await rawGetManifest(target(), targetRepo, 'b'))?.digest).toBe(imageB.digest);
    expect(await rawTags(target(), targetRepo)).toEqual(['a', `a-${imageA.digest.slice(7, 19)}`, 'b', `b-${imageB.digest.slice(7, 19)}`].sort());

    const again = await runCli('sync', '--config', config, '--json');
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout);
    expect(second.totals.unchanged).toBe(2);
    expect(second.tags.every((t: { bytesUploaded?: number }) => !t.bytesUploaded)).toBe(true);

    const status = await runCli('status', '--config', config, '--json');
    expect(JSON.parse(status.stdout).tags.map((t: { status: string }) => t.status)).toEqual(['promoted', 'promoted']);
  });

  it('a check of N unchanged tags costs exactly N manifest HEADs and no GET', async () => {
    const repo = uniqueRepo('upstream');
    const tags = ['t1', 't2', 't3', 't4', 't5'];
    for (const tag of tags) await pushImage(upstreamTarget(), repo, [tag], synthImage({ seed: `${repo}-${tag}`, layers: 1 }));
    const config = writeConfig(`  - source: ${proxy.host}/${repo}\n    tags: [${tags.join(', ')}]\n    repository: ${uniqueRepo('base')}`);
    expect((await runCli('sync', '--config', config)).code).toBe(0);

    proxy.clearLog();
    const check = await runCli('check', '--config', config, '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).tags.every((t: { status: string }) => t.status === 'unchanged')).toBe(true);
    const upstreamRequests = proxy.log.filter((e) => e.path.startsWith(`/v2/${repo}/`));
    expect(upstreamRequests.filter((e) => e.method === 'HEAD' && e.path.includes('/manifests/')).length).toBe(tags.length);
    expect(upstreamRequests.filter((e) => e.method === 'GET').length).toBe(0);
    expect(upstreamRequests.length).toBe(tags.length);
  });

  it('reports a moved tag as changed with the previous digest, and promotes the new digest', async () => {
    const repo = uniqueRepo('upstream');
    const first = synthImage({ seed: `${repo}-1` });
    const second = synthImage({ seed: `${repo}-2` });
    await pushImage(upstreamTarget(), repo, ['20-alpine'], first);
    const targetRepo = uniqueRepo('base');
    const config = writeConfig(`  - source: ${proxy.host}/${repo}\n    tags: ["20-alpine"]\n    repository: ${targetRepo}`);
    expect((await runCli('sync', '--config', config)).code).toBe(0);
    await pushImage(upstreamTarget(), repo, ['20-alpine'], second);

    const check = await runCli('check', '--config', config);
    expect(check.stdout).toMatch(new RegExp(`20-alpine\\s+changed\\s+${second.digest.slice(0, 19)}\\s+${first.digest.slice(0, 19)}`));
    const sync = await runCli('sync', '--config', config, '--json');
    expect(JSON.parse(sync.stdout).tags[0]).toMatchObject({ status: 'promoted', digest: second.digest, previousDigest: first.digest });
    expect((await rawGetManifest(target(), targetRepo, '20-alpine'))?.digest).toBe(second.digest);
    // the earlier promotion stays addressable by its immutable tag
    expect((await rawGetManifest(target(), targetRepo, `20-alpine-${first.digest.slice(7, 19)}`))?.digest).toBe(first.digest);
  });

  it('reports a missing tag as failed with exit 1, and the other tags still promote', async () => {
    const repo = uniqueRepo('upstream');
    await pushImage(upstreamTarget(), repo, ['ok'], synthImage({ seed: `${repo}-ok` }));
    const config = writeConfig(`  - source: ${proxy.host}/${repo}\n    tags: [ok, missing]\n    repository: ${uniqueRepo('base')}`);
    const sync = await runCli('sync', '--config', config, '--json');
    expect(sync.code).toBe(1);
    const report = JSON.parse(sync.stdout);
    expect(report.tags.find((t: { tag: string }) => t.tag === 'ok').status).toBe('promoted');
    expect(report.tags.find((t: { tag: string }) => t.tag === 'missing')).toMatchObject({ status: 'failed', reason: expect.stringContaining('not found') });
  });

  it('resolves a tag policy over a repository with 250 tags', async () => {
    const repo = uniqueRepo('upstream');
    const image = synthImage({ seed: `${repo}-policy`, platforms: ['linux/amd64'], layers: 1 });
    const tags: string[] = [];
    for (let major = 10; major < 60; major++) for (const suffix of ['', '-alpine', '-slim', '-rc1', '.1.0-alpine']) tags.push(`${major}${suffix}`);
    expect(tags.length).toBe(250);
    await pushImage(upstreamTarget(), repo, tags, image);
    const config = writeConfig(
      `  - source: ${proxy.host}/${repo}\n    tagPolicy: { allow: ["^\\\\d+-alpine$"], deny: ["rc"], semver: ">=20 <23" }\n    repository: ${uniqueRepo('base')}`,
    );
    const check = await runCli('check', '--config', config, '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).tags.map((t: { tag: string }) => t.tag).sort()).toEqual(['20-alpine', '21-alpine', '22-alpine']);
  });
});
