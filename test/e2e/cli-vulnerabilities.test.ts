/**
 * Issue #17 item 2 through `basegate sync` on the real local registries: the `vulnerabilities`
 * gate reads real-format reports (Trivy JSON, Grype JSON, SARIF) printed by a scanner stand-in
 * (test/fixtures/scanners/scanner-stand-in.cjs: no scanner with a live database runs here) and
 * judges the delta against the promoted digest, scanned in the same run:
 * the promoted digest has 2 criticals, the candidate the same 2 plus one new high;
 * `noNew: [critical]` passes, `noNew: [high]` fails naming the new id; an `ignore` entry holds
 * until its expiry (by BASEGATE_NOW) and ignores nothing after it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { at, cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { publicPem, pushBundleReferrer, sigstoreBundle } from '../helpers/cosign-signing';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetManifest } from '../helpers/raw-registry';
import { uniqueRepo } from '../servers/test-env';
import * as crypto from 'node:crypto';

const STAND_IN = path.join(__dirname, '..', 'fixtures', 'scanners', 'scanner-stand-in.cjs');
const CRITICALS = [
  { id: 'CVE-2026-1001', package: 'openssl', severity: 'critical' },
  { id: 'CVE-2026-1002', package: 'zlib', severity: 'critical' },
];
const NEW_HIGH = { id: 'CVE-2026-2003', package: 'libxml2', severity: 'high' };
const NOW = '2026-01-15T00:00:00Z';

let ws: CliWorkspace;
let db: string;
beforeEach(() => {
  ws = cliWorkspace('basegate-vulns-');
  db = path.join(ws.dir, 'scan-db');
  fs.mkdirSync(db);
  process.env.SCAN_DB = db;
});
afterEach(() => ws.cleanup());

const findings = (image: SynthImage, list: object[]) => fs.writeFileSync(path.join(db, `${image.digest.slice(7)}.json`), JSON.stringify(list));
const calls = () => (fs.existsSync(path.join(db, 'calls.log')) ? fs.readFileSync(path.join(db, 'calls.log'), 'utf8').trim().split('\n') : []);

interface World {
  repo: string;
  targetRepo: string;
  promoted: SynthImage;
  candidate: SynthImage;
  write(gate: string): string;
}

/** v1 = `promoted` (2 criticals), synced with no vulnerabilities gate; then v1 moves upstream to `candidate` (the same 2 + a new high). */
async function promotedThenMoved(name: string): Promise<World> {
  const repo = uniqueRepo('scanned');
  const targetRepo = uniqueRepo('base');
  const promoted = synthImage({ seed: `vuln-${name}-1` });
  const candidate = synthImage({ seed: `vuln-${name}-2` });
  findings(promoted, CRITICALS);
  findings(candidate, [...CRITICALS, NEW_HIGH]);
  const write = (gate: string) => ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${targetRepo}`, ...(gate ? ['    gates:', ...gate.split('\n').map((l) => `      ${l}`)] : [])].join('\n'));
  await pushImage(upstreamRegistry(), repo, ['v1'], promoted);
  const first = await at(NOW, () => runCli('sync', '--config', write(''), '--json'));
  expect(JSON.parse(first.stdout).tags[0]).toMatchObject({ status: 'promoted', targetDigest: promoted.digest });
  await pushImage(upstreamRegistry(), repo, ['v1'], candidate);
  return { repo, targetRepo, promoted, candidate, write };
}

const scanner = (format: string) => `scanner: { run: ["node", "${STAND_IN}", "${format}", "$IMAGE"], env: [SCAN_DB] }`;

async function sync(config: string, now = NOW) {
  const result = await at(now, () => runCli('sync', '--config', config, '--json'));
  const status = JSON.parse((await runCli('status', '--config', config, '--json')).stdout).tags[0];
  return { code: result.code, tag: JSON.parse(result.stdout).tags[0], status, gate: status.verdict?.gates.find((g: { gate: string }) => g.gate === 'vulnerabilities') };
}

describe.each(['trivy', 'grype', 'sarif'])('vulnerabilities gate over %s reports, through basegate sync', (format) => {
  it('noNew: [critical] passes a candidate whose only new finding is a high; the baseline is scanned in the same run', async () => {
    const w = await promotedThenMoved(`${format}-critical`);
    const { code, tag, gate } = await sync(w.write(`vulnerabilities: { ${scanner(format)}, noNew: [critical] }`));
    expect({ code, status: tag.status }).toEqual({ code: 0, status: 'promoted' });
    expect((await rawGetManifest(targetRegistry(), w.targetRepo, 'v1'))?.digest).toBe(w.candidate.digest);
    expect(gate.detail.summary).toEqual({
      format,
      from: 'command',
      counts: { critical: 2, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 },
      baseline: { digest: w.promoted.digest, counts: { critical: 2, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 } },
      added: [NEW_HIGH],
      addedTotal: 1,
      addedCounts: { critical: 0, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 },
      fixed: [],
      fixedTotal: 0,
      ignored: 0,
    });
    // One run of the scanner for the candidate and one for the promoted digest, in this sync.
    expect(calls().map((c) => c.split(' ')[0]).sort()).toEqual([w.candidate.digest, w.promoted.digest].sort());
  });

  it('noNew: [high] rejects it, naming the new id; nothing reaches the target', async () => {
    const w = await promotedThenMoved(`${format}-high`);
    const { code, tag, status } = await sync(w.write(`vulnerabilities: { ${scanner(format)}, noNew: [high] }`));
    expect({ code, status: tag.status }).toEqual({ code: 0, status: 'rejected' });
    expect(tag.reason).toBe(`vulnerabilities: 1 new high finding compared with the promoted ${w.promoted.digest}: CVE-2026-2003 (high, libxml2)`);
    expect(status.reason).toBe(tag.reason);
    expect(status.vulnerabilities).toMatchObject({ format, addedTotal: 1, added: [NEW_HIGH] });
    expect((await rawGetManifest(targetRegistry(), w.targetRepo, 'v1'))?.digest).toBe(w.promoted.digest);
    const text = (await runCli('status', '--config', w.write(`vulnerabilities: { ${scanner(format)}, noNew: [high] }`))).stdout;
    expect(text).toContain(`    vulnerabilities (${format}): 2 critical, 1 high\n    new: CVE-2026-2003 (high, libxml2)\n`);
  });
});

describe('vulnerabilities gate: ignore entries and their expiry (judged against BASEGATE_NOW)', () => {
  const gate = (format = 'trivy') => `vulnerabilities:\n  ${scanner(format)}\n  noNew: [high]\n  ignore: [{ id: CVE-2026-2003, until: 2026-01-31, reason: "fix ships next week" }]`;

  it('an entry in force ignores the new high: promoted, counted as ignored', async () => {
    const w = await promotedThenMoved('ignore-in-force');
    const { tag, gate: g } = await sync(w.write(gate()), '2026-01-31T23:59:00Z');
    expect(tag.status).toBe('promoted');
    expect(g.detail.summary).toMatchObject({ ignored: 1, addedTotal: 0, counts: { critical: 2, high: 0 } });
  });

  it('past its expiry it ignores nothing: rejected, naming the id and the expired entry', async () => {
    const w = await promotedThenMoved('ignore-expired');
    const { tag, gate: g } = await sync(w.write(gate()), '2026-02-01T00:00:01Z');
    expect(tag.status).toBe('rejected');
    expect(tag.reason).toBe(`vulnerabilities: 1 new high finding compared with the promoted ${w.promoted.digest}: CVE-2026-2003 (high, libxml2, its ignore expired 2026-01-31)`);
    expect(g.detail.expiredIgnores).toEqual([{ id: 'CVE-2026-2003', until: '2026-01-31', reason: 'fix ships next week' }]);
  });
});

describe('vulnerabilities gate: severity ceiling, first promotion, errors', () => {
  it('maxSeverity: high rejects the criticals by id; with nothing promoted every finding is new', async () => {
    const repo = uniqueRepo('scanned');
    const image = synthImage({ seed: 'vuln-first' });
    findings(image, [...CRITICALS, NEW_HIGH]);
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const config = ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { vulnerabilities: { ${scanner('grype')}, maxSeverity: high, noNew: [critical] } }`].join('\n'));
    const { tag, gate } = await sync(config);
    expect(tag.status).toBe('rejected');
    expect(tag.reason).toBe('vulnerabilities: 2 findings above high: CVE-2026-1001 (critical, openssl), CVE-2026-1002 (critical, zlib); 2 new critical findings compared with no baseline (nothing promoted yet: every finding is new): CVE-2026-1001 (critical, openssl), CVE-2026-1002 (critical, zlib)');
    expect(gate.detail.summary.baseline).toBeNull();
  });

  it('a scanner that fails (image not found, no report) leaves the digest pending, never approved', async () => {
    const repo = uniqueRepo('scanned');
    const image = synthImage({ seed: 'vuln-unscannable' });
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const config = ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { vulnerabilities: { ${scanner('trivy')}, noNew: [critical] } }`].join('\n'));
    const { tag } = await sync(config);
    expect(tag.status).toBe('pending');
    expect(tag.reason).toMatch(/^vulnerabilities: scan: node exited 1 without a readable report: its stdout is not JSON/);
  });

  it('one report per platform with perPlatform: true', async () => {
    const repo = uniqueRepo('scanned');
    const image = synthImage({ seed: 'vuln-per-platform' });
    findings(image, [NEW_HIGH]);
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const config = ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, `    gates: { vulnerabilities: { scanner: { run: ["node", "${STAND_IN}", "sarif", "$IMAGE"], env: [SCAN_DB], perPlatform: true }, maxSeverity: critical } }`].join('\n'));
    const { tag, gate } = await sync(config);
    expect(tag.status).toBe('promoted');
    expect(calls().map((c) => c.split(' ')[1]).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(gate.detail.summary.counts.high).toBe(1);
  });
});

describe('vulnerabilities gate: a vulnerability attestation referrer', () => {
  const key = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const report = (list: object[]) => ({ invocation: {}, scanner: { uri: 'pkg:github/aquasecurity/trivy@0.50.0', version: '0.50.0', result: { SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 'x', Vulnerabilities: list.map((f) => { const v = f as { id: string; package: string; severity: string }; return { VulnerabilityID: v.id, PkgName: v.package, Severity: v.severity.toUpperCase() }; }) }] } }, metadata: {} });

  async function attested(name: string, signer: crypto.KeyObject) {
    const repo = uniqueRepo('attested');
    const image = synthImage({ seed: `vuln-att-${name}` });
    await pushImage(upstreamRegistry(), repo, ['v1'], image);
    const subject = { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length };
    await pushBundleReferrer(upstreamRegistry(), repo, subject, sigstoreBundle(image.digest, { signer: { key: signer }, predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1', predicate: report([...CRITICALS, NEW_HIGH]) }));
    fs.writeFileSync(path.join(ws.dir, 'cosign.pub'), publicPem(key));
    return ws.writeConfig([`  - source: ${upstreamRegistry().host}/${repo}`, '    tags: [v1]', `    repository: ${uniqueRepo('base')}`, '    gates:', '      signature: { key: ./cosign.pub }', '      vulnerabilities: { attestation: true, maxSeverity: critical, noNew: [high] }'].join('\n'));
  }

  it('counts when it verifies under the image signature policy; its report is judged', async () => {
    const { tag, gate } = await sync(await attested('verified', key));
    expect(tag.status).toBe('rejected');
    expect(tag.reason).toMatch(/^signature: no signature over .* verifies; sigstore bundle .*: an attestation \(https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1\), not a signature \| vulnerabilities: 1 new high finding compared with no baseline .*CVE-2026-2003 \(high, libxml2\)/);
    expect(gate.detail.summary).toMatchObject({ format: 'trivy', from: 'attestation', counts: { critical: 2, high: 1 } });
  });

  it('does not count when signed by another key', async () => {
    const { tag } = await sync(await attested('forged', crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    expect(tag.reason).toMatch(/vulnerabilities: no verified vulnerability attestation \(https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1\) refers to sha256:[0-9a-f]+: sigstore bundle .*: not verified under the signature policy \(SIGNATURE_ERROR: signature verification failed\)/);
  });
});
