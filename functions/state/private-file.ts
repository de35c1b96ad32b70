/**
 * The mode of the files basegate keeps beside its config (the state, the audit log, the blob
 * locations): they name registries, digests and approvers, so they are created readable by
 * their owner only (0600), whatever the umask; a file that already exists keeps the mode its
 * owner gave it, even across an atomic replace (a temporary file renamed over it).
 */
import * as fs from 'node:fs';

/** Mode of a file basegate creates. */
export const PRIVATE_FILE_MODE = 0o600;

/** The permission bits `file` has now, or {@link PRIVATE_FILE_MODE} when it does not exist yet. */
export async function modeToKeep(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return PRIVATE_FILE_MODE;
    throw err;
  }
}

/** {@link modeToKeep}, synchronously. */
export function modeToKeepSync(file: string): number {
  try {
    return fs.statSync(file).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return PRIVATE_FILE_MODE;
    throw err;
  }
}
