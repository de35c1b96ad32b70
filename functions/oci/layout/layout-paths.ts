/**
 * Where things live in an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md).
 * A layout reference's `registry` is the root directory; each repository is its own layout
 * under `<root>/<repository>/` with `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
 * Temporary files go to `<layout>/.tmp/` (a name no repository component can take, as
 * components never start with a dot), on the same file system so a rename is atomic.
 */
import * as path from 'node:path';
import { BasegateError } from '../../errors';
import type { ImageRef } from '../reference';
import { isDigest } from '../reference';

/** Absolute paths of one repository's layout. */
export interface LayoutPaths {
  /** The root directory every repository of this "registry" lives under. */
  root: string;
  /** The repository's own layout directory. */
  dir: string;
  indexFile: string;
  layoutFile: string;
  tmpDir: string;
  /** `blobs/<alg>/<hex>` of a digest. */
  blob(digest: string): string;
}

/** Paths of `ref`'s repository layout; refuses a reference that is not a layout one. */
export function layoutPaths(ref: ImageRef): LayoutPaths {
  if (ref.scheme !== 'layout') throw new BasegateError('LAYOUT_REF_INVALID', `${ref.toString()} is not an OCI layout reference (oci:<dir>//<repository>)`);
  const root = ref.registry;
  const dir = path.join(root, ...ref.repository.split('/'));
  return {
    root,
    dir,
    indexFile: path.join(dir, 'index.json'),
    layoutFile: path.join(dir, 'oci-layout'),
    tmpDir: path.join(dir, '.tmp'),
    blob(digest: string): string {
      // The digest becomes a path: only a well-formed one may (no traversal through `..` or `/`).
      if (!isDigest(digest)) throw new BasegateError('DIGEST_INVALID', `${JSON.stringify(digest)} is not a sha256 or sha512 digest`);
      const [algorithm, hex] = digest.split(':');
      return path.join(dir, 'blobs', algorithm, hex);
    },
  };
}
