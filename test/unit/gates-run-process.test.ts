/** runProcess runs real programs: exit codes, output tail, spawn errors, timeouts that kill the whole process group. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess, type RunProcessRequest } from '../../functions/gates/run-process';

const base: Omit<RunProcessRequest, 'argv'> = { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 10_000, killGraceMs: 500, tailBytes: 4096 };

/** True while the process runs; a killed orphan may linger as a zombie (state Z) when PID 1 does not reap, which is dead all the same. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  it('reports the exit code and interleaved stdout and stderr', async () => {
    const r = await runProcess({ ...base, argv: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(r).toMatchObject({ exitCode: 3, signal: null, timedOut: false, aborted: false });
    expect(r.spawnError).toBeUndefined();
    expect(r.output).toContain('out\n');
    expect(r.output).toContain('err\n');
  });

  it('keeps only the last tailBytes of output', async () => {
    const r = await runProcess({ ...base, tailBytes: 100, argv: ['/bin/sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done'] });
    expect(r.exitCode).toBe(0);
    expect(Buffer.byteLength(r.output)).toBe(100);
    expect(r.output.endsWith('line499\n')).toBe(true);
    expect(r.output).not.toContain('line0\n');
  });

  it('passes argv without a shell and only the given environment', async () => {
    const r = await runProcess({ ...base, env: { ...base.env, ONLY: 'this' }, argv: ['/bin/sh', '-c', 'printf "%s|" "$1" "$ONLY" "${HOME:-nohome}"', 'sh', '$(echo injected); ls'] });
    expect(r.output).toBe('$(echo injected); ls|this|nohome|');
  });

  it('reports a program that cannot be started', async () => {
    const r = await runProcess({ ...base, argv: ['/nonexistent/basegate-scanner'] });
    expect(r.spawnError).toMatch(/^ENOENT/);
    expect(r.exitCode).not.toBe(0);
  });

  it('kills the whole process group on timeout, even a child ignoring SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-process-'));
    const pidFile = path.join(dir, 'pid');
    const r = await runProcess({ ...base, timeoutMs: 300, killGraceMs: 300, argv: ['/bin/sh', '-c', `(trap "" TERM; sleep 30) & echo $! > ${pidFile}; sleep 30`] });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(alive(grandchild)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not leave background processes behind after a normal exit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-process-'));
    const pidFile = path.join(dir, 'pid');
    const r = await runProcess({ ...base, argv: ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo done`] });
    expect(r.exitCode).toBe(0);
    expect(r.output).toBe('done\n');
    await new Promise((res) => setTimeout(res, 100));
    expect(alive(Number(fs.readFileSync(pidFile, 'utf8')))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('returns after the grace when a process that left the group keeps the pipes open', async () => {
    // setsid puts the sleeper in its own session: the group kill cannot reach it, so it holds stdout for 3 s.
    const r = await runProcess({ ...base, killGraceMs: 200, argv: ['/bin/sh', '-c', 'setsid sleep 3 & echo left'] });
    expect(r.exitCode).toBe(0);
    expect(r.output).toBe('left\n');
    expect(r.durationMs).toBeLessThan(2500);
  });

  it('stops the program when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await runProcess({ ...base, signal: controller.signal, argv: ['/bin/sh', '-c', 'sleep 30'] });
    expect(r.aborted).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe('SIGTERM');
  });
});
