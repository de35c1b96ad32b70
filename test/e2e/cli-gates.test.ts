/**
 * Issue #5 through the CLI: every gate's pass, fail and error paths, each through `basegate sync`
 * on the real local registries (upstream behind the fault proxy, the token-auth registry as the
 * target) with a real webhook dependent on a strict loopback receiver:
 * - pass: promoted, and the dependent gets exactly one rebuild;
 * - fail: rejected with the gate's reason in `status`, nothing in the target, no rebuild;
 * - error (the proxy makes the gate's read fail, the scanner times out): pending, nothing in the
 *   target, no rebuild; the next sync retries it and, once it passes, promotes it.
 * Time-based gates run under `BASEGATE_NOW` (the CLI's clock seam).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { pushImage, pushReferrer, synthImage, type SynthImage, type SynthOptions } from '../helpers/image-synth';
import { rawGetManifest, rawTags } from '../helpers/raw-registry';
import { runCli } from '../helpers/cli-run';
import { at, cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { uniqueRepo } from '../servers/test-env';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

/** Images are synthesised as created 2026-01-01 (image-synth.ts); the CLI's clock is a fortnight later. */
const NOW = '2026-01-15T00:00:00Z';
const SOURCE_LABEL = 'org.opencontainers.image.source';

let proxy: FaultProxy;
let receiver: WebhookReceiver;
let ws: CliWorkspace;

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: `http://${upstreamRegistry().host}` });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), receiver?.close()]);
});
beforeEach(() => {
  ws = cliWorkspace('basegate-gates-');
  proxy.setRules([]);
});
afterEach(() => {
  ws.cleanup();
  receiver.assertDone();
});

interface Scenario {
  repo: string;
  targetRepo: string;
  image: SynthImage;
  config: string;
  /** `<proxy>/<repo>:v1@<digest>`, as `approve` takes it. */
  pinned: string;
}

/** Seeds a fresh upstream repository with `image` as v1 and writes a config tracking it, with `lines` under the image entry. */
async function scenario(options: SynthOptions, lines: string): Promise<Scenario> {
  const repo = uniqueRepo('gated');
  const image = synthImage(options);
  await pushImage(upstreamRegistry(), repo, ['v1'], image);
  const targetRepo = uniqueRepo('base');
  const config = ws.writeConfig(
    [
      `  - source: ${proxy.host}/${repo}`,
      '    tags: [v1]',
      `    repository: ${targetRepo}`,
      ...lines.split('\n').map((l) => `    ${l}`),
      '    dependents:',
      `      - webhook: { url: "${receiver.url}/hooks/base", secret: "${'${HOOK_SECRET}'}" }`,
    ].join('\n'),
  );
  return { repo, targetRepo, image, config, pinned: `${proxy.host}/${repo}:v1@${image.digest}` };
}

process.env.HOOK_SECRET = 'whsec-gates-e2e';

async function sync(s: Scenario) {
  const result = await at(NOW, () => runCli('sync', '--config', s.config, '--json'));
  if (!result.stdout.trim().startsWith('{')) throw new Error(`sync printed no report (exit ${result.code}):\n${result.stderr}`);
  const report = JSON.parse(result.stdout);
  return { code: result.code, tag: report.tags[0], stderr: result.stderr };
}

async function heldReason(s: Scenario): Promise<string> {
  const status = await runCli('status', '--config', s.config, '--json');
  return JSON.parse(status.stdout).tags[0].reason;
}

/** The target has nothing of the image: no tag, and no manifest under the source digest. */
async function expectNotInTarget(s: Scenario): Promise<void> {
  expect(await rawTags(targetRegistry(), s.targetRepo)).toEqual([]);
  expect(await rawGetManifest(targetRegistry(), s.targetRepo, s.image.digest)).toBeUndefined();
}

/** Syncs expecting a promotion and exactly one signed rebuild webhook for it. */
async function expectPromoted(s: Scenario, filtered = false): Promise<void> {
  receiver.expectDelivery({ secret: process.env.HOOK_SECRET });
  const { code, tag } = await sync(s);
  expect({ code, status: tag.status, reason: tag.reason }).toEqual({ code: 0, status: 'promoted', reason: undefined });
  const promoted = await rawGetManifest(targetRegistry(), s.targetRepo, 'v1');
  expect(promoted?.digest).toBe(tag.targetDigest);
  if (!filtered) expect(tag.targetDigest).toBe(s.image.digest);
  expect(receiver.deliveries).toHaveLength(1);
  expect(receiver.deliveries[0].json).toMatchObject({ event: 'base-image-promoted', tag: 'v1', digest: tag.targetDigest, image: `${proxy.host}/${s.repo}:v1` });
  receiver.assertDone();
}

/** Syncs expecting `status` (rejected or pending) with a reason matching `reason`, and nothing promoted or sent. */
async function expectHeld(s: Scenario, status: 'rejected' | 'pending', reason: RegExp): Promise<void> {
  const { code, tag } = await sync(s);
  expect({ code, status: tag.status }).toEqual({ code: 0, status });
  expect(tag.reason).toMatch(reason);
  expect(await heldReason(s)).toMatch(reason);
  await expectNotInTarget(s);
  expect(receiver.requests).toHaveLength(0);
}

const notFound = (what: string): FaultRule['respond'] => ({ status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: `${what} unknown` }] }) });
const configDigests = (image: SynthImage): string[] => image.manifests.map((m) => JSON.parse(m.bytes.toString()).config.digest as string);

/** Fault rules that make the gate's read of the image fail. */
const faults = {
  index: (s: Scenario): FaultRule[] => [{ name: 'index unreadable', method: 'GET', path: new RegExp(`/v2/${s.repo}/manifests/${s.image.digest}$`), respond: notFound('manifest') }],
  config: (s: Scenario): FaultRule[] => [{ name: 'config unreadable', method: 'GET', path: new RegExp(`/v2/${s.repo}/blobs/(${configDigests(s.image).join('|')})$`), respond: notFound('blob') }],
  referrers: (s: Scenario): FaultRule[] => [{ name: 'referrers refused', method: 'GET', path: new RegExp(`/v2/${s.repo}/referrers/`), respond: { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'no' }] }) } }],
};

interface GateCase {
  gate: string;
  image: Omit<SynthOptions, 'seed'>;
  /** Lines under the image entry. */
  pass: string;
  fail: string;
  failReason: RegExp;
  /** Whether the passing config filters platforms (the target digest then differs). */
  filtered?: boolean;
  fault: (s: Scenario) => FaultRule[];
  before?: (s: Scenario) => Promise<void>;
}

const signed = async (s: Scenario): Promise<void> => {
  await pushReferrer(upstreamRegistry(), s.repo, { digest: s.image.digest, mediaType: s.image.mediaType, size: s.image.bytes.length }, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', payload: 'signature', fallbackTag: true });
};

const cases: GateCase[] = [
  { gate: 'platforms', image: {}, pass: 'platforms: [linux/amd64, linux/arm64]', fail: 'platforms: [linux/amd64, linux/s390x]', failReason: /^platforms: missing linux\/s390x; the image has linux\/amd64, linux\/arm64/, fault: faults.index },
  { gate: 'platforms (filtering)', image: {}, pass: 'platforms: [linux/arm64]', filtered: true, fail: 'platforms: [linux/ppc64le]', failReason: /^platforms: missing linux\/ppc64le/, fault: faults.index },
  { gate: 'maxSize', image: { layerSize: 4000 }, pass: 'gates: { maxSize: 1MB }', fail: 'gates: { maxSize: 5KB }', failReason: /maxSize: linux\/amd64: .* compressed .* over the 5KB limit/, fault: faults.index },
  { gate: 'maxAge', image: { created: '2026-01-01T00:00:00Z' }, pass: 'gates: { maxAge: 30d }', fail: 'gates: { maxAge: 7d }', failReason: /maxAge: linux\/amd64: created 2026-01-01T00:00:00Z \(14d( \d+[hms])? ago\), older than the 7d allowed/, fault: faults.config },
  { gate: 'labels', image: { labels: { [SOURCE_LABEL]: 'https://github.com/nodejs/docker-node' } }, pass: `gates: { labels: { ${SOURCE_LABEL}: "^https://github.com/nodejs/" } }`, fail: `gates: { labels: { ${SOURCE_LABEL}: "^https://gitlab.com/" } }`, failReason: /labels: linux\/amd64: label org.opencontainers.image.source=.* does not match/, fault: faults.config },
  { gate: 'referrers', image: {}, before: signed, pass: 'gates: { referrers: true }', fail: 'gates: { referrers: { artifactType: application/spdx+json } }', failReason: /referrers: no referrer of type application\/spdx\+json refers to sha256:/, fault: faults.referrers },
];

describe.each(cases)('gate $gate through basegate sync', (c) => {
  const make = async (lines: string): Promise<Scenario> => {
    const s = await scenario({ seed: `${c.gate}-${lines}`, ...c.image }, lines);
    await c.before?.(s);
    return s;
  };

  it('pass: promoted, and the dependent is told once', async () => {
    await expectPromoted(await make(c.pass), c.filtered);
  });

  it('fail: rejected with the reason, not in the target, the dependent not told; not re-validated by the next sync', async () => {
    const s = await make(c.fail);
    await expectHeld(s, 'rejected', c.failReason);
    proxy.clearLog();
    await expectHeld(s, 'rejected', c.failReason);
    // A decided verdict is recalled, not re-evaluated: the image itself is not read again.
    expect(proxy.log.filter((e) => e.method === 'GET' && e.path.startsWith(`/v2/${s.repo}/`))).toEqual([]);
  });

  it('error: pending, not in the target, the dependent not told; the next sync retries and promotes', async () => {
    const s = await make(c.pass);
    proxy.setRules(c.fault(s));
    await expectHeld(s, 'pending', new RegExp(`${c.gate.split(' ')[0]}: gate errored, will retry`));
    expect(proxy.log.some((e) => e.rule !== undefined)).toBe(true);
    proxy.setRules([]);
    await expectPromoted(s, c.filtered);
  });
});

describe('gate cooldown through basegate sync', () => {
  it('holds a new digest until it was first seen 24h ago by the CLI clock, then promotes it; a moved tag cools down again', async () => {
    const s = await scenario({ seed: 'cooldown' }, 'gates: { cooldown: 24h }');
    const sync = async (when: string) => {
      const result = await at(when, () => runCli('sync', '--config', s.config, '--json'));
      return { code: result.code, tag: JSON.parse(result.stdout).tags[0] };
    };
    const first = await sync('2026-03-01T00:00:00Z');
    expect(first).toMatchObject({ code: 0, tag: { status: 'pending', reason: expect.stringMatching(/cooling down for 1d: first seen 2026-03-01T00:00:0\d.*Z, passes at 2026-03-02T00:00:0/) } });
    const later = await sync('2026-03-01T23:00:00Z');
    expect(later.tag).toMatchObject({ status: 'pending', reason: expect.stringMatching(/\(in (1h|59m \d+s)\)$/) });
    await expectNotInTarget(s);
    expect(receiver.requests).toHaveLength(0);

    receiver.expectDelivery({ secret: process.env.HOOK_SECRET });
    const passed = await sync('2026-03-02T00:00:05Z');
    expect(passed).toMatchObject({ code: 0, tag: { status: 'promoted', targetDigest: s.image.digest } });
    receiver.assertDone();

    // The tag moves upstream: its new digest starts its own cooldown; the target keeps the old one.
    const moved = synthImage({ seed: 'cooldown-2' });
    await pushImage(upstreamRegistry(), s.repo, ['v1'], moved);
    const again = await sync('2026-03-02T01:00:00Z');
    expect(again.tag).toMatchObject({ status: 'pending', detected: 'changed', digest: moved.digest });
    expect((await rawGetManifest(targetRegistry(), s.targetRepo, 'v1'))?.digest).toBe(s.image.digest);
  });

  it('refuses a BASEGATE_NOW that is not a time, before touching anything (exit 2)', async () => {
    const s = await scenario({ seed: 'cooldown-bad-now' }, 'gates: { cooldown: 24h }');
    const result = await at('tomorrow', () => runCli('sync', '--config', s.config));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('BASEGATE_NOW="tomorrow": expected an ISO 8601 time');
    expect(fs.existsSync(ws.stateFile())).toBe(false);
  });
});

describe('gate command through basegate sync', () => {
  it('pass: the program gets the pinned image, platforms, tag and the allow-listed variables only', async () => {
    process.env.SCANNER_TOKEN = 'scanner-token-value';
    process.env.UNLISTED_SECRET = 'must-not-leak';
    const s = await scenario({ seed: 'command-pass' }, ['gates:', '  command:', '    run: echo "$IMAGE|$PLATFORMS|$BASEGATE_TAG|$${SCANNER_TOKEN:-unset}|$${UNLISTED_SECRET:-unset}" > seen.txt', '    env: [SCANNER_TOKEN]'].join('\n'));
    await expectPromoted(s);
    // The script ran in the config file's directory; `$${VAR}` reached the shell as `${VAR}`.
    expect(fs.readFileSync(path.join(ws.dir, 'seen.txt'), 'utf8').trim()).toBe(`${proxy.host}/${s.repo}@${s.image.digest}|linux/amd64,linux/arm64|v1|scanner-token-value|unset`);
  });

  it('pass, per platform: one run per platform with PLATFORM set', async () => {
    const s = await scenario({ seed: 'command-per-platform' }, 'gates: { command: { run: ["sh", "-c", "echo $PLATFORM >> platforms.txt"], perPlatform: true } }');
    await expectPromoted(s);
    expect(fs.readFileSync(path.join(ws.dir, 'platforms.txt'), 'utf8').trim().split('\n').sort()).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('fail: a non-zero exit rejects, with the last output line as the reason', async () => {
    const s = await scenario({ seed: 'command-fail' }, 'gates: { command: { run: "echo scanning; echo found CVE-2026-0001 >&2; exit 3" } }');
    await expectHeld(s, 'rejected', /^command: sh -c exited 3: found CVE-2026-0001$/);
  });

  it('error: a scanner that times out leaves the digest pending; the next sync retries and promotes once it passes', async () => {
    const s = await scenario({ seed: 'command-timeout' }, 'gates: { command: { run: "test -f ready || sleep 30", timeout: 1s } }');
    await expectHeld(s, 'pending', /^command: sh -c timed out after 1s, will retry$/);
    fs.writeFileSync(path.join(ws.dir, 'ready'), '');
    await expectPromoted(s);
  });

  it('error: a program that cannot be started is pending, never a pass', async () => {
    const s = await scenario({ seed: 'command-missing' }, 'gates: { command: { run: ["./no-such-scanner", "$IMAGE"] } }');
    await expectHeld(s, 'pending', /^command: \.\/no-such-scanner could not be started/);
  });
});

describe('gate approval through basegate sync', () => {
  it('waits for a person; basegate approve lets the next sync promote it', async () => {
    const s = await scenario({ seed: 'approval-yes' }, 'gates: { approval: manual }');
    await expectHeld(s, 'pending', /^approval: waiting for a person: basegate approve \(or reject\)/);
    await expectHeld(s, 'pending', /^approval: waiting for a person/);
    const approve = await runCli('approve', '--config', s.config, s.pinned, '--reason', 'looked fine', '--by', 'alice');
    expect(approve).toMatchObject({ code: 0, stdout: expect.stringContaining('approved') });
    await expectPromoted(s);
    const audit = fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"stage":"approval".*"outcome":"approved".*"by":"alice"/);
  });

  it('basegate reject makes the next sync reject it, with who and why', async () => {
    const s = await scenario({ seed: 'approval-no' }, 'gates: { approval: manual }');
    await expectHeld(s, 'pending', /^approval: waiting/);
    expect((await runCli('reject', '--config', s.config, s.pinned, '--reason', 'CVE-2026-0002', '--by', 'bob')).code).toBe(0);
    await expectHeld(s, 'rejected', /^approval: rejected by bob at .*: CVE-2026-0002$/);
  });

  it('approve refuses a reference without a digest (exit 2): a decision is about exact content', async () => {
    const s = await scenario({ seed: 'approval-nodigest' }, 'gates: { approval: manual }');
    const result = await runCli('approve', '--config', s.config, `${proxy.host}/${s.repo}:v1`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must name the digest');
  });
});

describe('gates together', () => {
  it('all must pass: one failing gate rejects although the others pass, and the audit keeps every result', async () => {
    const s = await scenario({ seed: 'all-gates', labels: { [SOURCE_LABEL]: 'x' } }, ['platforms: [linux/amd64]', 'gates:', '  maxSize: 1MB', '  maxAge: 30d', `  labels: { ${SOURCE_LABEL}: "^https://" }`, '  command: { run: "exit 0" }'].join('\n'));
    await expectHeld(s, 'rejected', /^labels: linux\/amd64: label org.opencontainers.image.source="x" does not match/);
    const status = JSON.parse((await runCli('status', '--config', s.config, '--json')).stdout).tags[0];
    expect(Object.fromEntries(status.verdict.gates.map((g: { gate: string; outcome: string }) => [g.gate, g.outcome]))).toEqual({ platforms: 'pass', maxSize: 'pass', maxAge: 'pass', labels: 'fail', command: 'pass', closure: 'pass' });
  });

  it('a rejected digest is not judged again on the next sync, only with sync --force', async () => {
    const s = await scenario({ seed: 'force' }, 'gates: { command: { run: "echo run >> runs.txt; exit 1" } }');
    const runs = () => fs.readFileSync(path.join(ws.dir, 'runs.txt'), 'utf8').trim().split('\n').length;
    await expectHeld(s, 'rejected', /^command: sh -c exited 1$/);
    await expectHeld(s, 'rejected', /^command: sh -c exited 1/);
    expect(runs()).toBe(1);
    const forced = await at(NOW, () => runCli('sync', '--config', s.config, '--force', '--json'));
    expect(JSON.parse(forced.stdout).tags[0].status).toBe('rejected');
    expect(runs()).toBe(2);
  });

  it('a rejected digest is validated again when the gate configuration changes', async () => {
    const s = await scenario({ seed: 'regate' }, 'gates: { maxSize: 1KB }');
    await expectHeld(s, 'rejected', /maxSize/);
    fs.writeFileSync(s.config, fs.readFileSync(s.config, 'utf8').replace('maxSize: 1KB', 'maxSize: 1MB'));
    await expectPromoted(s);
  });
});
