/**
 * A layout's `index.json` (https://github.com/opencontainers/image-spec/blob/main/image-layout.md#indexjson-file):
 * an image index whose entries are the layout's entry points. Tags are entries annotated
 * `org.opencontainers.image.ref.name: <tag>`; untagged entries hold referrers (manifests with
 * a `subject`) so that they stay reachable and discoverable.
 *
 * Updates are serialised: an in-process mutex per file, then a lock file between processes
 * (see file-lock.ts), then read, change, and an atomic rename. Unknown fields are kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BasegateError } from '../../errors';
import { OCI_INDEX } from '../media-types';
import { indexSchema, type Descriptor, type ImageIndex } from '../schema';
import { writeFileAtomic, exists } from './atomic-file';
import { withFileLock, type FileLockOptions } from './file-lock';
import { withKeyedMutex } from '../keyed-mutex';
import type { LayoutPaths } from './layout-paths';

/** The annotation that names a tag in `index.json`. */
export const REF_NAME = 'org.opencontainers.image.ref.name';
/** The only layout version there is (https://github.com/opencontainers/image-spec/blob/main/image-layout.md#oci-layout-file). */
export const LAYOUT_VERSION = '1.0.0';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The tag an `index.json` entry carries, if its ref name is a plain tag. */
export function tagOf(descriptor: Descriptor): string | undefined {
  const name = descriptor.annotations?.[REF_NAME];
  return name !== undefined && TAG.test(name) ? name : undefined;
}

/** Reads `index.json`; an empty index when the layout does not exist yet. */
export async function readLayoutIndex(paths: LayoutPaths): Promise<ImageIndex> {
  let text: string;
  try {
    text = await fs.promises.readFile(paths.indexFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return emptyIndex();
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BasegateError('LAYOUT_INVALID', `${paths.indexFile} is not JSON`, { cause: err });
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) throw new BasegateError('LAYOUT_INVALID', `${paths.indexFile} is not an image index: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/**
 * Applies `change` to `index.json` under both locks and writes it back atomically when
 * `change` returns true. Creates the layout (`oci-layout`, empty index) on first use.
 */
export async function updateLayoutIndex(paths: LayoutPaths, lock: FileLockOptions, change: (index: ImageIndex) => boolean): Promise<void> {
  await withKeyedMutex(paths.indexFile, async () => {
    await fs.promises.mkdir(paths.tmpDir, { recursive: true });
    await withFileLock(path.join(paths.tmpDir, 'index.json.lock'), lock, async () => {
      if (!(await exists(paths.layoutFile))) {
        await writeFileAtomic(paths.layoutFile, Buffer.from(JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION })), paths.tmpDir);
      }
      const index = await readLayoutIndex(paths);
      const fresh = !(await exists(paths.indexFile));
      if (change(index) || fresh) await writeFileAtomic(paths.indexFile, Buffer.from(JSON.stringify(index)), paths.tmpDir);
    });
  });
}

function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
}
