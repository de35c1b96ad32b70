/**
 * The two contenders of the sync benchmark, each run as a process as a user would run it:
 * the built `basegate sync` (dist/functions/cli.js) and Debian's `skopeo sync --all`, one
 * invocation per repository (skopeo's docker source is one repository per call), with
 * `--preserve-digests`: without it skopeo 1.9 re-serialises the manifests (new digests), while a
 * mirror, and basegate, keep the upstream digests.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Cleanup } from './bench-run';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const CLI = path.join(__dirname, '..', 'dist', 'functions', 'cli.js');

/** Runs a command to its end; a Ctrl-C or failure of the benchmark kills it. */
export function runProcess(cleanup: Cleanup, command: string, args: string[], cwd: string): Promise<ProcessResult> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** `basegate sync --config FILE --json`; fails unless it exits 0. */
export async function basegateSync(cleanup: Cleanup, config: string): Promise<void> {
  const result = await runProcess(cleanup, process.execPath, [CLI, 'sync', '--config', config, '--json'], path.dirname(config));
  if (result.code !== 0) throw new Error(`basegate sync exited ${result.code}:\n${result.stderr.slice(-3000)}`);
}

/** `skopeo sync --all --src docker --dest docker` for each source repository in turn, into `destination` (registry/namespace). */
export async function skopeoSync(cleanup: Cleanup, sources: string[], destination: string, cwd: string): Promise<void> {
  for (const source of sources) {
    const args = ['sync', '--all', '--preserve-digests', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', source, destination];
    const result = await runProcess(cleanup, 'skopeo', args, cwd);
    if (result.code !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-3000)}`);
  }
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
