/**
 * The `Registry` port over OCI image layouts on disk: the reference's `registry` is a root
 * directory and each repository is its own layout under it (`oci:<dir>//<repository>`).
 * Same file names as the remote backend: manifest.ts, blob.ts, tag.ts, referrers.ts.
 *
 * Writes are atomic (temporary file, rename) and verified; `index.json` updates are
 * serialised in-process and between processes (see layout-index.ts and file-lock.ts).
 * Mount is a hard link between repositories of the same root.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { BasegateError, ContentRejectedError } from '../../errors';
import type { ImageRef } from '../reference';
import type { BlobMounter, Descriptor, Manifest, ManifestDeleter, ManifestInfo, ReferrersOptions, Registry } from '../registry-port';
import { layoutBlobGet, layoutBlobHead, layoutBlobMount, layoutBlobPut } from './blob';
import { LAYOUT_VERSION } from './layout-index';
import { resolveLayoutRegistryOptions, type LayoutRegistryOptions, type ResolvedLayoutRegistryOptions } from './layout-options';
import { layoutPaths } from './layout-paths';
import { layoutManifestDelete, layoutManifestGet, layoutManifestHead, layoutManifestPut } from './manifest';
import { layoutReferrers } from './referrers';
import { layoutTagList } from './tag';

/** Reads and writes repositories stored as OCI image layouts under a root directory. */
export class LayoutRegistry implements Registry, BlobMounter, ManifestDeleter {
  private readonly options: ResolvedLayoutRegistryOptions;

  constructor(options: LayoutRegistryOptions = {}) {
    this.options = resolveLayoutRegistryOptions(options);
  }

  /** Checks that the root directory exists and that the repository, if present, is a layout of a known version. */
  async ping(ref: ImageRef): Promise<void> {
    const paths = layoutPaths(ref);
    const root = await fs.promises.stat(paths.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!root?.isDirectory()) throw new BasegateError('LAYOUT_NOT_FOUND', `${paths.root} is not a directory`);
    let text: string;
    try {
      text = await fs.promises.readFile(paths.layoutFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // created on first write
      throw err;
    }
    const version = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    if (version !== LAYOUT_VERSION) throw new ContentRejectedError('LAYOUT_VERSION_UNSUPPORTED', `${paths.layoutFile}: imageLayoutVersion ${String(version)}, expected ${LAYOUT_VERSION}`);
  }

  manifestHead(ref: ImageRef): Promise<ManifestInfo | undefined> {
    return layoutManifestHead(ref);
  }

  manifestGet(ref: ImageRef): Promise<Manifest> {
    return layoutManifestGet(ref);
  }

  manifestPut(ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    return layoutManifestPut(ref, manifest, this.options.lock);
  }

  manifestDelete(ref: ImageRef): Promise<void> {
    return layoutManifestDelete(ref, this.options.lock);
  }

  blobHead(ref: ImageRef, digest: string): Promise<{ size: number } | undefined> {
    return layoutBlobHead(ref, digest);
  }

  blobGet(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    return layoutBlobGet(ref, descriptor);
  }

  blobPut(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>, body: () => Readable): Promise<void> {
    return layoutBlobPut(ref, descriptor, body);
  }

  blobMount(ref: ImageRef, digest: string, from: ImageRef): Promise<boolean> {
    return layoutBlobMount(ref, digest, from);
  }

  tagList(ref: ImageRef): Promise<string[]> {
    return layoutTagList(ref);
  }

  referrers(ref: ImageRef, options?: ReferrersOptions): Promise<Descriptor[]> {
    return layoutReferrers(ref, options);
  }
}
