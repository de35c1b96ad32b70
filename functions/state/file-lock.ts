/**
 * An exclusive lock file beside the state file, so that two basegate processes never write
 * the same state. Created with O_EXCL, it holds the owner's pid and host name.
 * - A lock of a process that no longer exists on this host is stale: it is taken over, with
 *   a warning. The takeover renames the stale file away first and checks it moved the file it
 *   judged stale, so two processes taking over at once cannot both win.
 * - A lock of a live process, or of another host (whose processes we cannot see), is an error
 *   `STATE_LOCKED` that says who holds it and how to clear it.
 */
import { PRIVATE_FILE_MODE } from './private-file';
import { randomBytes } from 'node:crypto';
import { promises as fs, unlinkSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { BasegateError } from '../errors';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Distinguishes this holder from a later one with a reused pid. */
  token: string;
  createdAt: string;
}

/** Options of {@link FileLock.acquire}. */
export interface FileLockOptions {
  /** Receives the stale-lock warning (static message, metadata). */
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

/** A lock file that is being written is at most this old; an unreadable older one is stale. */
const UNREADABLE_GRACE_MS = 10_000;
/** Takeover races retried before giving up. */
const ATTEMPTS = 5;

/** A held lock; release it with {@link FileLock.release}. */
export class FileLock {
  private released = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {
    // A process that exits without close() leaves no lock behind (a crash still may: stale takeover).
    process.on('exit', this.onExit);
  }

  /** Takes the lock at `lockPath` or throws `STATE_LOCKED`. */
  static async acquire(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
    const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), token: randomBytes(8).toString('hex'), createdAt: new Date().toISOString() };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await tryCreate(lockPath, owner)) return new FileLock(lockPath, owner);
      const current = await readLock(lockPath);
      if (current === undefined) continue; // released meanwhile: try again
      const holder = parseOwner(current.text);
      if (holder) {
        if (holder.hostname !== owner.hostname || isAlive(holder.pid)) throw locked(lockPath, holder);
      } else if (Date.now() - current.mtimeMs < UNREADABLE_GRACE_MS) {
        throw locked(lockPath, undefined);
      }
      if (await takeOver(lockPath, current.text)) {
        (options.warn ?? defaultWarn)('taking over a stale state lock', { lock: lockPath, pid: holder?.pid, hostname: holder?.hostname, since: holder?.createdAt });
      }
    }
    throw locked(lockPath, parseOwner((await readLock(lockPath))?.text ?? ''));
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    const current = await readLock(this.path);
    if (current && parseOwner(current.text)?.token === this.owner.token) await fs.rm(this.path, { force: true });
  }

  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (parseOwner(readFileSync(this.path, 'utf8'))?.token === this.owner.token) unlinkSync(this.path);
    } catch {
      // exiting: nothing more can be done, and a leftover lock of a dead pid is taken over later
    }
  }
}

async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readLock(lockPath: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Moves the stale lock away; true when the file moved is the one judged stale (else it is put back). */
async function takeOver(lockPath: string, staleText: string): Promise<boolean> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = await fs.readFile(aside, 'utf8');
  if (moved !== staleText) {
    // Another process took over first and this moved its fresh lock: give it back (link fails if a third one is there).
    await fs.link(aside, lockPath).catch(() => undefined);
    await fs.rm(aside, { force: true });
    const owner = parseOwner(moved);
    throw locked(lockPath, owner);
  }
  await fs.rm(aside, { force: true });
  return true;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.hostname === 'string' && typeof o.token === 'string' ? (o as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function locked(lockPath: string, holder: LockOwner | undefined): BasegateError {
  const who = holder ? `process ${holder.pid} on ${holder.hostname} (since ${holder.createdAt})` : 'a process that is still writing the lock file';
  return new BasegateError(
    'STATE_LOCKED',
    `the state is locked by ${who}: another basegate is running on the same state. Wait for it to finish, or delete ${lockPath} if that process is gone`,
  );
}

function defaultWarn(message: string, meta: Record<string, unknown>): void {
  process.emitWarning(`${message} ${JSON.stringify(meta)}`, { code: 'BASEGATE_STALE_LOCK' });
}
