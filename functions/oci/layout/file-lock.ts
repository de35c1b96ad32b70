/**
 * A lock file shared between processes: `open(O_CREAT|O_EXCL)` succeeds for exactly one
 * creator, so two basegate processes writing the same layout take turns on its `index.json`.
 *
 * The lock is held for the few milliseconds of a read-modify-rename of `index.json`. A holder
 * killed inside that window leaves the file behind: a lock whose owner process is gone (same
 * host) or that is older than `staleMs` is broken. Breaking it renames it to a unique name
 * first, so of two processes that both judged it stale only one removes it; the residual race
 * (a lock judged stale just as its owner released it and another took it) needs a holder
 * stalled for `staleMs`, far beyond any index update.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { BasegateError } from '../../errors';

/** Timing of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up (a temporary error) after waiting this long. */
  timeoutMs: number;
  /** A lock file older than this is abandoned. */
  staleMs: number;
  /** Pause between attempts. */
  retryMs: number;
}

/** Runs `fn` while holding the lock file `lockPath`; the lock is released even when `fn` throws. */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await fs.promises.rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const handle = await fs.promises.open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
      } finally {
        await handle.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(lockPath, options.staleMs)) {
      await breakLock(lockPath);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new BasegateError('LAYOUT_LOCKED', `${lockPath} is held by another writer for more than ${options.timeoutMs} ms`, { temporary: true });
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs));
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([fs.promises.readFile(lockPath, 'utf8'), fs.promises.stat(lockPath).then((s) => s.mtimeMs)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile: just try again
    throw err;
  }
  if (Date.now() - mtimeMs > staleMs) return true;
  const owner = parseOwner(text);
  return owner !== undefined && owner.host === os.hostname() && !processAlive(owner.pid);
}

function parseOwner(text: string): { pid: number; host: string } | undefined {
  try {
    const value = JSON.parse(text) as { pid?: unknown; host?: unknown };
    return typeof value.pid === 'number' && typeof value.host === 'string' ? { pid: value.pid, host: value.host } : undefined;
  } catch {
    return undefined; // a lock still being written by its creator: not stale until it ages out
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function breakLock(lockPath: string): Promise<void> {
  const aside = `${lockPath}.stale.${randomBytes(6).toString('hex')}`;
  try {
    await fs.promises.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another process broke it first
    throw err;
  }
  await fs.promises.rm(aside, { force: true });
}
