/**
 * Atomic file writes: bytes go to a temporary file on the same file system, are flushed to
 * disk, and only then renamed over the target (rename(2) replaces atomically). A reader sees
 * the old file or the new one, never half of it; a killed writer leaves only a temporary file
 * under `.tmp/`, never a partial target.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A unique temporary path in `tmpDir` (created if missing). */
export async function tempPath(tmpDir: string, hint: string): Promise<string> {
  await fs.promises.mkdir(tmpDir, { recursive: true });
  return path.join(tmpDir, `${hint}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Moves a finished temporary file into place, creating the target's directory. */
export async function commitTemp(temp: string, target: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.rename(temp, target);
}

/** Removes a temporary file, ignoring one that is already gone. */
export async function discardTemp(temp: string): Promise<void> {
  await fs.promises.rm(temp, { force: true });
}

/** Writes `bytes` to `target` atomically (temp file, fsync, rename). */
export async function writeFileAtomic(target: string, bytes: Uint8Array, tmpDir: string): Promise<void> {
  const temp = await tempPath(tmpDir, path.basename(target));
  try {
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await commitTemp(temp, target);
  } catch (err) {
    await discardTemp(temp);
    throw err;
  }
}

/** True when the path exists (any error but "not found" is rethrown). */
export async function exists(file: string): Promise<boolean> {
  return (await statOrUndefined(file)) !== undefined;
}

/** `fs.stat`, or undefined when there is no such file. */
export async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
