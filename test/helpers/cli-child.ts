/**
 * Runs the basegate CLI as its own process (`node functions/cli.ts`, transpiled on load by
 * ts-register.cjs), for what only a separate process shows: trust taken from the process
 * environment at start (NODE_EXTRA_CA_CERTS), and a process killed mid-run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { CliResult } from './cli-run';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'helpers', 'ts-register.cjs');
const CLI = path.join(ROOT, 'functions', 'cli.ts');

/** A running CLI process and its result once it ends (`code` null when killed by a signal). */
export interface CliChild {
  child: ChildProcess;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts `basegate <args>` with `env` added to this process's environment. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliChild {
  const child = spawn(process.execPath, ['-r', REGISTER, CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

/** Runs `basegate <args>` to the end in its own process. */
export function runCliChild(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return spawnCli(args, env).done;
}
