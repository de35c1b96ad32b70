/**
 * Keeps a {@link BlobLocations} memo in a file between CLI runs, so that a later sync mounts a
 * base layer an earlier sync put into another repository instead of uploading it again. It is a
 * cache: a missing or unreadable file starts empty, and a stale entry only costs a declined mount.
 */
import { modeToKeepSync } from '../state/private-file';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobLocations } from './blob-locations';

/** The memo kept in `file`, or an empty one. */
export function loadBlobLocations(file: string): BlobLocations {
  const locations = new BlobLocations();
  try {
    const data: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (isSnapshot(data)) locations.restore(data);
  } catch {
    // No file yet, or one cut short by a crash: start empty.
  }
  return locations;
}

/** Writes the memo atomically (a crash leaves the old file or the new one). */
export function saveBlobLocations(file: string, locations: BlobLocations): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  // 0600 when new, the owner's mode when replacing (state/private-file.ts).
  const mode = modeToKeepSync(file);
  fs.writeFileSync(tmp, JSON.stringify(locations.snapshot()), { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

function isSnapshot(data: unknown): data is Record<string, Record<string, string[]>> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  return Object.values(data).every(
    (digests) => typeof digests === 'object' && digests !== null && Object.values(digests).every((r) => Array.isArray(r) && r.every((x) => typeof x === 'string')),
  );
}
