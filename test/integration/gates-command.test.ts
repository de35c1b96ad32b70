/**
 * The command gate through the real validate stage, on images in the local registry: what the
 * program sees (IMAGE as a pullable pinned reference, PLATFORM(S), BASEGATE_TAG, no secrets
 * unless listed), exit 0 → approved, another exit → rejected, timeout / spawn error → pending,
 * and the output tail (last 4 KiB) in the audit entry.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandGate } from '../../functions/gates/command';
import { parseReference } from '../../functions/oci/reference';
import { gateHarness, gateResult, seed, tracked, validate, validateAudit, type GateHarness } from '../helpers/gate-fixture';

let h: GateHarness;
let dir: string;
beforeAll(async () => {
  h = await gateHarness();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gates-command-'));
});
afterAll(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Prints the variables the gate sets, one per line. */
const PRINT_ENV = 'for v in IMAGE PLATFORM PLATFORMS BASEGATE_TAG HOOK_SECRET SCANNER_TOKEN PASSED_THROUGH; do eval "echo $v=\\${$v-unset}"; done';

describe('command gate', () => {
  it('approves on exit 0 and gives the program the pinned reference, platforms and tag, not the secrets around it', async () => {
    const s = await seed(h, { seed: 'cmd-pass', platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'] });
    const environment = { PATH: process.env.PATH, HOOK_SECRET: 'hunter2', PASSED_THROUGH: 'yes', AZURE_CLIENT_SECRET: 'nope' };
    const gate = commandGate({ run: PRINT_ENV, env: ['PASSED_THROUGH'], environment });
    const verdict = await validate(h, tracked(s, { platforms: ['linux/amd64', 'linux/arm64'] }), s, [gate]);
    expect(verdict.outcome).toBe('approved');
    const image = `${h.target.host}/${s.repo}@${s.digest}`;
    expect(gateResult(verdict, 'command').detail?.output).toBe(
      [`IMAGE=${image}`, 'PLATFORM=unset', 'PLATFORMS=linux/amd64,linux/arm64', 'BASEGATE_TAG=v1', 'HOOK_SECRET=unset', 'SCANNER_TOKEN=unset', 'PASSED_THROUGH=yes', ''].join('\n'),
    );
    // The reference is one the registry serves (what a scanner would pull).
    const pulled = await h.registry.manifestHead(parseReference(image));
    expect(pulled?.digest).toBe(s.digest);
  });

  it('expands $IMAGE and ${BASEGATE_TAG} in argv without a shell, and sets env: values', async () => {
    const s = await seed(h, { seed: 'cmd-argv' });
    // The token reaches the program (shown upper-cased); printed as is, it is scrubbed from the stored output.
    const gate = commandGate({ run: ['/bin/sh', '-c', 'printf "%s|%s|%s|%s|%s" "$1" "$2" "$3" "$(printf %s "$SCANNER_TOKEN" | tr a-z A-Z)" "$SCANNER_TOKEN"', 'sh', '$IMAGE', 'tag=${BASEGATE_TAG}', '$(id)$IMAGES'], env: { SCANNER_TOKEN: 's3cret' } });
    const verdict = await validate(h, tracked(s), s, [gate]);
    expect(gateResult(verdict, 'command').detail?.output).toBe(`${h.target.host}/${s.repo}@${s.digest}|tag=v1|$(id)$IMAGES|S3CRET|***`);
  });

  it('rejects on another exit code, with the last output line in the reason and the output tail in the audit', async () => {
    const s = await seed(h, { seed: 'cmd-fail' });
    const script = 'i=0; while [ $i -lt 400 ]; do echo "scan line $i"; i=$((i+1)); done; echo "CRITICAL: CVE-2026-1234 in openssl" >&2; exit 1';
    const verdict = await validate(h, tracked(s), s, [commandGate({ run: script })]);
    expect(verdict.outcome).toBe('rejected');
    const result = gateResult(verdict, 'command');
    expect(result.reasons).toEqual(['sh -c exited 1: CRITICAL: CVE-2026-1234 in openssl']);
    const [audit] = await validateAudit(h, s);
    expect(audit.outcome).toBe('rejected');
    const audited = (audit.detail as { gates: Array<{ gate: string; detail: { output: string; runs: unknown[] } }> }).gates.find((g) => g.gate === 'command')!;
    expect(Buffer.byteLength(audited.detail.output)).toBe(4096);
    expect(audited.detail.output.endsWith('scan line 399\nCRITICAL: CVE-2026-1234 in openssl\n')).toBe(true);
    expect(audited.detail.output).not.toContain('scan line 0\n');
    expect(audited.detail.runs).toEqual([expect.objectContaining({ exitCode: 1, timedOut: false })]);
  });

  it('runs once per platform with perPlatform, and rejects naming the platform that failed', async () => {
    const s = await seed(h, { seed: 'cmd-per-platform', platforms: ['linux/amd64', 'linux/arm64'] });
    const gate = commandGate({ run: 'echo "checking $PLATFORM"; [ "$PLATFORM" != linux/arm64 ] || { echo "arm64 smoke test failed"; exit 4; }', perPlatform: true });
    const verdict = await validate(h, tracked(s), s, [gate]);
    expect(verdict.outcome).toBe('rejected');
    const result = gateResult(verdict, 'command');
    expect(result.reasons).toEqual(['sh -c exited 4 on linux/arm64: arm64 smoke test failed']);
    expect(result.detail?.runs).toEqual([
      expect.objectContaining({ platform: 'linux/amd64', exitCode: 0, output: 'checking linux/amd64\n' }),
      expect.objectContaining({ platform: 'linux/arm64', exitCode: 4, output: 'checking linux/arm64\narm64 smoke test failed\n' }),
    ]);
    expect(result.detail?.output).toBe('checking linux/arm64\narm64 smoke test failed\n');
  });

  it('is pending when the program times out, and its process group is gone', async () => {
    const s = await seed(h, { seed: 'cmd-timeout' });
    const pidFile = path.join(dir, 'timeout-pid');
    const gate = commandGate({ run: `echo started; sleep 30 & echo $! > ${pidFile}; wait`, timeout: 400, killGrace: 200 });
    const verdict = await validate(h, tracked(s), s, [gate]);
    expect(verdict.outcome).toBe('pending');
    const result = gateResult(verdict, 'command');
    expect(result.reasons).toEqual(['sh -c timed out after 400ms, will retry']);
    expect(result.detail?.output).toBe('started\n');
    const stat = (() => {
      try {
        return fs.readFileSync(`/proc/${fs.readFileSync(pidFile, 'utf8').trim()}/stat`, 'utf8');
      } catch {
        return 'gone';
      }
    })();
    expect(stat === 'gone' || / Z /.test(stat)).toBe(true);
  });

  it('is pending when a timed-out program exits 0 from its SIGTERM trap', async () => {
    const s = await seed(h, { seed: 'cmd-trap' });
    const gate = commandGate({ run: 'trap "echo cleaned up; exit 0" TERM; echo scanning; while :; do sleep 0.05; done', timeout: 300, killGrace: 2000 });
    const verdict = await validate(h, tracked(s), s, [gate]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'command').detail?.runs).toEqual([expect.objectContaining({ exitCode: 0, timedOut: true })]);
    expect(gateResult(verdict, 'command').detail?.output).toMatch(/^scanning\n[\s\S]*cleaned up\n$/);
  });

  it('is pending when the program cannot be started', async () => {
    const s = await seed(h, { seed: 'cmd-enoent' });
    const verdict = await validate(h, tracked(s), s, [commandGate({ run: ['/opt/no/trivy', 'image', '$IMAGE'] })]);
    expect(verdict.outcome).toBe('pending');
    expect(gateResult(verdict, 'command').reasons[0]).toMatch(/^\/opt\/no\/trivy could not be started: ENOENT/);
  });

  it('is pending when the image cannot be read (platforms unknown), without running the program', async () => {
    const s = await seed(h, { seed: 'cmd-unreadable' });
    const marker = path.join(dir, 'should-not-run');
    const gone = { ...s, source: s.source.withRepository(`${s.repo}-missing`) };
    const verdict = await validate(h, tracked(gone), gone, [commandGate({ run: `touch ${marker}` })]);
    expect(verdict.outcome).toBe('pending');
    expect(fs.existsSync(marker)).toBe(false);
  });
});
