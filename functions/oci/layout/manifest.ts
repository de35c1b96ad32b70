/**
 * Manifests of an OCI layout. A manifest is a blob (its exact bytes, never re-serialised);
 * a tag is an `index.json` entry (see layout-index.ts). Like a registry, a layout refuses a
 * manifest whose blobs or child manifests are not there yet, so no entry can point at
 * incomplete content; a manifest with a `subject` gets an untagged entry so that the
 * referrers scan finds it.
 */
import * as fs from 'node:fs';
import { BasegateError, ContentRejectedError } from '../../errors';
import { digestOf, verifyBytes } from '../digest';
import { isKnownManifest } from '../media-types';
import type { ImageRef } from '../reference';
import type { Manifest, ManifestInfo } from '../registry-port';
import { statOrUndefined } from './atomic-file';
import { writeBlobBytes } from './blob';
import type { FileLockOptions } from './file-lock';
import { REF_NAME, readLayoutIndex, tagOf, updateLayoutIndex } from './layout-index';
import { layoutPaths } from './layout-paths';
import { contentOf, mediaTypeOf, parseManifestJson } from '../manifest-json';

/** The error for a manifest that is not in the layout (the OCI `MANIFEST_UNKNOWN` code). */
export function manifestUnknown(ref: ImageRef): BasegateError {
  return new BasegateError('MANIFEST_UNKNOWN', `manifest ${ref.toString()} is not in the layout`);
}

/** Digest, media type and size of the manifest `ref` names; undefined when there is none. */
export async function layoutManifestHead(ref: ImageRef): Promise<ManifestInfo | undefined> {
  const found = await locate(ref);
  if (!found) return undefined;
  const stat = await statOrUndefined(layoutPaths(ref).blob(found.digest));
  if (!stat?.isFile()) return undefined;
  const mediaType = found.mediaType ?? (await layoutManifestGet(ref)).mediaType;
  return { digest: found.digest, mediaType, size: stat.size };
}

/** The manifest's exact bytes, verified against its digest. */
export async function layoutManifestGet(ref: ImageRef): Promise<Manifest> {
  const found = await locate(ref);
  if (!found) throw manifestUnknown(ref);
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(layoutPaths(ref).blob(found.digest));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw manifestUnknown(ref);
    throw err;
  }
  verifyBytes(`manifest ${ref.toString()}`, bytes, found.digest);
  const mediaType = found.mediaType ?? mediaTypeOf(parseManifestJson(bytes, `manifest ${found.digest}`), `manifest ${found.digest}`);
  return { digest: found.digest, mediaType, size: bytes.length, bytes };
}

/** Stores a manifest (and its tag, when `ref` has one); returns its digest. */
export async function layoutManifestPut(ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }, lock: FileLockOptions): Promise<string> {
  const what = `manifest for ${ref.toString()}`;
  const digest = ref.digest ?? digestOf(manifest.bytes);
  if (ref.digest) verifyBytes(what, manifest.bytes, ref.digest);
  if (!isKnownManifest(manifest.mediaType)) throw new ContentRejectedError('MEDIA_TYPE_UNSUPPORTED', `${what}: media type ${manifest.mediaType} is not a manifest type`);
  const json = parseManifestJson(manifest.bytes, what);
  if (typeof json.mediaType === 'string' && json.mediaType !== manifest.mediaType) {
    throw new ContentRejectedError('MANIFEST_INVALID', `${what}: body says ${json.mediaType}, stored as ${manifest.mediaType}`);
  }
  const paths = layoutPaths(ref);
  const needed = contentOf(json, manifest.mediaType, what);
  for (const d of [...needed.blobs, ...needed.manifests]) {
    if (!(await statOrUndefined(paths.blob(d.digest)))?.isFile()) {
      throw new BasegateError('MANIFEST_BLOB_UNKNOWN', `${what} refers to ${d.digest}, which is not in ${ref.name} yet`);
    }
  }
  await writeBlobBytes(paths, digest, manifest.bytes);
  const entry = { mediaType: manifest.mediaType, digest, size: manifest.bytes.length };
  const hasSubject = typeof json.subject === 'object' && json.subject !== null;
  if (ref.tag === undefined && !hasSubject) return digest;
  await updateLayoutIndex(paths, lock, (index) => {
    if (ref.tag === undefined) {
      if (index.manifests.some((m) => m.digest === digest)) return false;
      index.manifests.push(entry);
      return true;
    }
    const current = index.manifests.find((m) => tagOf(m) === ref.tag);
    if (current?.digest === digest && current.mediaType === entry.mediaType) return false;
    index.manifests = index.manifests.filter((m) => tagOf(m) !== ref.tag);
    index.manifests.push({ ...entry, annotations: { [REF_NAME]: ref.tag } });
    return true;
  });
  return digest;
}

/** Deletes a tag (by tag), or a manifest and every entry naming it (by digest). */
export async function layoutManifestDelete(ref: ImageRef, lock: FileLockOptions): Promise<void> {
  const paths = layoutPaths(ref);
  if (!(await layoutManifestHead(ref))) throw manifestUnknown(ref);
  await updateLayoutIndex(paths, lock, (index) => {
    const before = index.manifests.length;
    index.manifests = index.manifests.filter((m) => (ref.digest ? m.digest !== ref.digest : tagOf(m) !== ref.tag));
    return index.manifests.length !== before;
  });
  if (ref.digest) await fs.promises.rm(paths.blob(ref.digest), { force: true });
}

/** Finds the digest (and the media type `index.json` records, if any) that `ref` names. */
async function locate(ref: ImageRef): Promise<{ digest: string; mediaType?: string } | undefined> {
  const index = await readLayoutIndex(layoutPaths(ref));
  if (ref.digest) {
    const entry = index.manifests.find((m) => m.digest === ref.digest);
    return { digest: ref.digest, mediaType: entry?.mediaType };
  }
  const tag = ref.identifier;
  const entry = index.manifests.find((m) => tagOf(m) === tag);
  if (!entry) return undefined;
  if (!(await statOrUndefined(layoutPaths(ref).blob(entry.digest)))?.isFile()) {
    throw new BasegateError('LAYOUT_INVALID', `${ref.toString()}: index.json names ${entry.digest}, which is missing from blobs/`);
  }
  return { digest: entry.digest, mediaType: entry.mediaType };
}

