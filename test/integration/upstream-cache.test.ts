/**
 * Issue #22: `upstreamCache:` through a real pull-through cache. Debian's docker-registry with
 * `proxy.remoteurl` is the stand-in for ACR Artifact Cache (it keeps repository names and serves
 * one upstream: `repository: same`); a counting proxy sits between it and the upstream registry,
 * and basegate reads the upstream through that same proxy, so every upstream request is counted
 * whoever makes it (detect, the gates, the scanner, the copy, or the cache filling itself).
 *
 * The claim (issue #22, "Figures"): a digest that goes through the platforms, maxSize, labels and
 * vulnerabilities (a scanner that pulls `$IMAGE`) gates and is promoted costs at most one upstream
 * GET per manifest of the image (index and platform manifests; referrer look-ups are counted
 * apart), including after a failed promotion is retried. Without the cache the same run's count
 * is printed for comparison. With the cache stopped the sync fails for that image without any
 * upstream manifest GET.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetManifest } from '../helpers/raw-registry';
import { startRegistry, type RegistryServer } from '../servers/registry-server';
import { testEnv, uniqueRepo } from '../servers/test-env';

/** A scanner that really pulls what `$IMAGE` names (its manifest, by digest) and prints an empty Trivy report; it logs each IMAGE it got. */
const SCANNER = `
const fs = require('node:fs');
const image = process.argv[2];
fs.appendFileSync(process.env.SCAN_LOG, image + '\\n');
const m = /^([^/]+)\\/(.+)@(sha256:[0-9a-f]{64})$/.exec(image);
const accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
fetch('http://' + m[1] + '/v2/' + m[2] + '/manifests/' + m[3], { headers: { accept } }).then(async (res) => {
  if (res.status !== 200) { process.stderr.write('pull failed: ' + res.status + '\\n'); process.exit(1); }
  await res.arrayBuffer();
  process.stdout.write(JSON.stringify({ SchemaVersion: 2, ArtifactName: image, Results: [] }));
}, (err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
`;

let upstream: RegistryServer;
let counter: FaultProxy;
let cache: RegistryServer;
let target: RegistryServer;
let targetFaults: FaultProxy;
let dir: string;
let scanLog: string;
let scanner: string;

beforeAll(async () => {
  upstream = await startRegistry();
  counter = await startFaultProxy({ upstream: `http://${upstream.host}` });
  cache = await startRegistry({ proxyRemoteUrl: `http://${counter.host}` });
  target = await startRegistry();
  targetFaults = await startFaultProxy({ upstream: `http://${target.host}` });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-upstream-cache-'));
  scanner = path.join(dir, 'pulling-scanner.cjs');
  fs.writeFileSync(scanner, SCANNER);
  scanLog = path.join(dir, 'scan.log');
  process.env.SCAN_LOG = scanLog;
});
afterAll(async () => {
  delete process.env.SCAN_LOG;
  await Promise.all([counter?.stop(), targetFaults?.stop()]);
  await Promise.all([upstream?.stop(), cache?.stop(), target?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  counter.reset();
  targetFaults.reset();
  fs.writeFileSync(scanLog, '');
});

interface Case {
  repo: string;
  targetRepo: string;
  image: SynthImage;
}

async function seed(name: string): Promise<Case> {
  const repo = uniqueRepo(`cached-${name}`);
  const image = synthImage({ seed: `upstream-cache-${name}`, platforms: ['linux/amd64', 'linux/arm64'], labels: { 'org.opencontainers.image.source': 'https://example.com/base' } });
  await pushImage({ host: upstream.host }, repo, ['v1'], image);
  counter.clearLog();
  return { repo, targetRepo: uniqueRepo(`base-${name}`), image };
}

/** basegate.yaml for one or more images; `cache` adds upstreamCache over that cache host. */
function writeConfig(entries: string[], cache?: { host: string; required?: boolean }): string {
  const file = path.join(dir, `basegate-${Math.random().toString(36).slice(2)}.yaml`);
  const text = [
    'target:',
    `  registry: "${targetFaults.host}"`,
    ...(cache ? ['upstreamCache:', `  registry: "${cache.host}"`, '  repository: same', `  upstream: "${counter.host}"`, `  required: ${cache.required ?? false}`] : []),
    'images:',
    ...entries,
  ].join('\n');
  fs.writeFileSync(file, `${text}\n`);
  return file;
}

function gated(c: Case, source = `${counter.host}/${c.repo}`): string {
  return [
    `  - source: ${source}`,
    '    tags: [v1]',
    `    repository: ${c.targetRepo}`,
    '    platforms: [linux/amd64, linux/arm64]',
    '    gates:',
    '      maxSize: 10MB',
    '      labels: { org.opencontainers.image.source: "^https://example.com/" }',
    `      vulnerabilities: { scanner: { run: ["node", "${scanner}", "$IMAGE"], env: [SCAN_LOG] }, maxSeverity: critical }`,
  ].join('\n');
}

/** Upstream manifest GETs by reference (digest or tag), and the by-digest ones of the image apart from the rest. */
function manifestGets(c: Case): { perManifest: Record<string, number>; referrerLookups: number; other: number } {
  const own = [c.image.digest, ...c.image.manifests.map((m) => m.digest)];
  const perManifest = Object.fromEntries(own.map((d) => [d, 0]));
  let referrerLookups = 0;
  let other = 0;
  for (const entry of counter.log) {
    const m = new RegExp(`^/v2/${c.repo}/(manifests|referrers)/(.+)$`).exec(entry.path);
    if (entry.method !== 'GET' || !m) continue;
    if (m[1] === 'referrers' || /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/.test(m[2])) referrerLookups++;
    else if (m[2] in perManifest) perManifest[m[2]]++;
    else other++;
  }
  return { perManifest, referrerLookups, other };
}

const sync = async (config: string) => {
  const result = await runCli('sync', '--config', config, '--json');
  return { code: result.code, tags: JSON.parse(result.stdout).tags as Array<{ source: string; status: string; reason?: string; targetDigest?: string }>, stderr: result.stderr };
};

describe('upstreamCache through a docker-registry pull-through cache', () => {
  it('a gated, promoted digest costs at most one upstream GET per manifest, and a retried promotion adds none', async () => {
    const c = await seed('promoted');
    const config = writeConfig([gated(c)], { host: cache.host, required: true });
    // The first promotion fails at the target (a planted 400 on its first manifest PUT) after every gate passed.
    targetFaults.setRules([{ name: 'planted', method: 'PUT', path: new RegExp(`^/v2/${c.targetRepo}/manifests/`), times: 1, respond: { status: 400, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_INVALID","message":"planted"}]}' } }]);

    const first = await sync(config);
    expect(first.tags[0]).toMatchObject({ status: 'failed' });
    expect(first.tags[0].reason).toMatch(/planted|MANIFEST_INVALID/);
    const afterFailure = manifestGets(c);

    const retried = await sync(config);
    expect(retried.code).toBe(0);
    expect(retried.tags[0]).toMatchObject({ status: 'promoted', targetDigest: c.image.digest });
    expect((await rawGetManifest({ host: target.host }, c.targetRepo, 'v1'))?.digest).toBe(c.image.digest);
    const afterRetry = manifestGets(c);

    // The scanner was handed the cache's reference, and pulled from it.
    expect(fs.readFileSync(scanLog, 'utf8').trim().split('\n')).toEqual([`${cache.host}/${c.repo}@${c.image.digest}`]);
    // Index and both platform manifests: read upstream once (by the cache), whatever read them after.
    expect(Object.values(afterFailure.perManifest).every((n) => n <= 1)).toBe(true);
    expect(afterFailure.perManifest[c.image.digest]).toBe(1);
    expect(afterFailure.other).toBe(0);
    // The retried promotion read nothing more upstream: it copied from the cache.
    expect(afterRetry.perManifest).toEqual(afterFailure.perManifest);
    expect(afterRetry.other).toBe(0);
    // Detect still asks upstream, with a HEAD per tag per sync (free on Docker Hub).
    expect(counter.count('HEAD', new RegExp(`^/v2/${c.repo}/manifests/v1$`))).toBe(2);
    process.stdout.write(`upstream-cache figures: with upstreamCache, manifest GETs per manifest ${JSON.stringify(Object.values(afterRetry.perManifest))} (${Object.values(afterRetry.perManifest).reduce((a, b) => a + b, 0)} for ${c.image.manifests.length + 1} manifests, after a failed promotion and its retry), referrer look-ups apart: ${afterRetry.referrerLookups}\n`);
  });

  it('without upstreamCache the same run reads each manifest upstream several times (today\'s count, printed)', async () => {
    const c = await seed('direct');
    const config = writeConfig([gated(c)]);
    targetFaults.setRules([{ name: 'planted', method: 'PUT', path: new RegExp(`^/v2/${c.targetRepo}/manifests/`), times: 1, respond: { status: 400, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_INVALID","message":"planted"}]}' } }]);
    expect((await sync(config)).tags[0].status).toBe('failed');
    expect((await sync(config)).tags[0].status).toBe('promoted');
    const gets = manifestGets(c);
    expect(fs.readFileSync(scanLog, 'utf8').trim()).toBe(`${counter.host}/${c.repo}@${c.image.digest}`);
    // The root manifest is read by the gates, the scanner and each copy attempt.
    expect(gets.perManifest[c.image.digest]).toBeGreaterThan(1);
    process.stdout.write(`upstream-cache figures: without upstreamCache, manifest GETs per manifest ${JSON.stringify(Object.values(gets.perManifest))} (${Object.values(gets.perManifest).reduce((a, b) => a + b, 0)} for ${c.image.manifests.length + 1} manifests, same run), referrer look-ups apart: ${gets.referrerLookups}\n`);
  });

  it('with the cache stopped, the sync fails for that image without reading upstream manifests; an image the cache cannot serve bypasses it with a notice', async () => {
    const c = await seed('outage');
    const stopped = await startRegistry({ proxyRemoteUrl: `http://${counter.host}` });
    await stopped.stop();
    const other = { repo: uniqueRepo('elsewhere'), targetRepo: uniqueRepo('base-elsewhere'), image: synthImage({ seed: 'upstream-cache-elsewhere', platforms: ['linux/amd64', 'linux/arm64'], labels: { 'org.opencontainers.image.source': 'https://example.com/x' } }) };
    const elsewhere = testEnv().registries.anonymous.host;
    await pushImage({ host: elsewhere }, other.repo, ['v1'], other.image);
    const config = writeConfig([gated(c), gated(other, `${elsewhere}/${other.repo}`)], { host: stopped.host });

    const check = await runCli('check', '--config', config);
    expect(check.stderr).toContain(`notice: ${elsewhere}/${other.repo} is read from upstream, not through the upstream cache ${stopped.host}: the cache ${stopped.host} proxies ${counter.host} only`);

    counter.clearLog();
    const result = await sync(config);
    expect(result.code).not.toBe(0);
    const [cached, bypassed] = result.tags;
    expect(cached).toMatchObject({ status: 'failed' });
    expect(cached.reason).toContain(`the upstream cache ${stopped.host} could not be read`);
    expect(cached.reason).toContain('(temporary: will retry)');
    expect(bypassed).toMatchObject({ status: 'promoted', targetDigest: other.image.digest });
    // Detect's HEAD only: no manifest (or blob) was read upstream instead of from the cache.
    expect(counter.log.filter((e) => e.method === 'GET' && e.path.startsWith(`/v2/${c.repo}/`))).toEqual([]);
    expect(counter.count('HEAD', new RegExp(`^/v2/${c.repo}/manifests/v1$`))).toBe(1);
    expect(await rawGetManifest({ host: target.host }, c.targetRepo, 'v1')).toBeUndefined();
    // No verdict was recorded for the outage: the next sync validates afresh.
    const status = JSON.parse((await runCli('status', '--config', config, '--json')).stdout);
    expect(status.tags.find((t: { source: string }) => t.source.includes(c.repo))).toMatchObject({ status: 'failed' });
    expect(status.tags.find((t: { source: string }) => t.source.includes(c.repo)).verdict).toBeUndefined();
    expect(status.upstreamCache).toEqual({ registry: stopped.host, cached: 1, bypassed: [{ image: `${elsewhere}/${other.repo}`, reason: `the cache ${stopped.host} proxies ${counter.host} only` }] });
  });
});
