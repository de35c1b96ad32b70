/**
 * The contenders of the sync benchmark, each run as a process as a user would run it, under
 * GNU time (process-usage.ts) for its CPU and peak RSS:
 * - the built `basegate sync` (dist/functions/cli.js);
 * - Debian's `skopeo sync --all`, one invocation per repository (skopeo's docker source is one
 *   repository per call), with `--preserve-digests`: without it skopeo 1.9 re-serialises the
 *   manifests (new digests), while a mirror, and basegate, keep the upstream digests;
 * - the bare reference copier (reference-copier.ts): what plain parallel HTTP with no
 *   verification and no mounts takes, the floor the registries leave.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Cleanup } from './bench-run';
import { addUsage, measuredCommand, type Usage } from './process-usage';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const CLI = path.join(__dirname, '..', 'dist', 'functions', 'cli.js');

/** Runs a command to its end; a Ctrl-C or failure of the benchmark kills it. */
export function runProcess(cleanup: Cleanup, command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(`${command} (pid ${child.pid})`, child, (c) => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command under GNU time to its end; fails unless it exits 0; returns what it cost. */
export async function runMeasured(cleanup: Cleanup, command: string, args: string[], cwd: string, okCodes: number[] = [0]): Promise<Usage & ProcessResult> {
  const measured = measuredCommand(command, args);
  const started = performance.now();
  const result = await runProcess(cleanup, measured.command, measured.args, cwd);
  const usage = measured.read((performance.now() - started) / 1000);
  if (!okCodes.includes(result.code ?? -1)) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-3000)}`);
  return { ...usage, ...result };
}

/** `basegate sync --config FILE --json`; fails unless it exits 0. */
export function basegateSync(cleanup: Cleanup, config: string, extra: string[] = [], okCodes: number[] = [0]): Promise<Usage & ProcessResult> {
  return runMeasured(cleanup, process.execPath, [CLI, 'sync', '--config', config, '--json', ...extra], path.dirname(config), okCodes);
}

/** `skopeo sync --all --src docker --dest docker` for each source repository in turn, into `destination` (registry/namespace). */
export async function skopeoSync(cleanup: Cleanup, sources: string[], destination: string, cwd: string, extra: string[] = []): Promise<Usage> {
  let total: Usage = { wall: 0, cpu: 0, peakRss: 0 };
  for (const source of sources) {
    const args = ['sync', '--all', '--preserve-digests', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, source, destination];
    total = addUsage(total, await runMeasured(cleanup, 'skopeo', args, cwd));
  }
  return total;
}

const REGISTER = path.join(__dirname, '..', 'test', 'helpers', 'ts-register.cjs');
const REFERENCE = path.join(__dirname, 'reference-copier.ts');

/** The bare reference copier over a job file (reference-copier.ts). */
export function referenceSync(cleanup: Cleanup, jobFile: string): Promise<Usage> {
  return runMeasured(cleanup, process.execPath, ['-r', REGISTER, REFERENCE, jobFile], path.dirname(jobFile));
}

/** What starting the processes alone costs: `basegate --help` once, `skopeo --version` once per repository (as the sync calls it). */
export async function startFloor(cleanup: Cleanup, repositories: number, cwd: string): Promise<{ basegate: number; skopeo: number }> {
  const seconds = async (command: string, args: string[], times: number): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < times; i++) {
      const result = await runProcess(cleanup, command, args, cwd);
      if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-500)}`);
    }
    return (performance.now() - started) / 1000;
  };
  return { basegate: await seconds(process.execPath, [CLI, '--help'], 1), skopeo: await seconds('skopeo', ['--version'], repositories) };
}
