/**
 * Blobs of an OCI layout: `blobs/<alg>/<hex>`, content-addressed, so concurrent writers of the
 * same blob write the same bytes and a rename by either is right. Every write streams through
 * a {@link VerifyingStream} into a temporary file and is renamed into place only once digest
 * and size matched: a mismatch, a failed source or a killed process leaves no blob behind.
 * Reads verify too, so a blob damaged on disk is refused instead of copied on.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineCallback, type Readable } from 'node:stream';
import { BasegateError } from '../../errors';
import { VerifyingStream } from '../digest';
import type { ImageRef } from '../reference';
import type { Descriptor } from '../schema';
import { commitTemp, discardTemp, statOrUndefined, tempPath, writeFileAtomic } from './atomic-file';
import { layoutPaths, type LayoutPaths } from './layout-paths';

type BlobDescriptor = Pick<Descriptor, 'digest' | 'size'>;

/** Size of a blob in `ref`'s layout; undefined when absent. */
export async function layoutBlobHead(ref: ImageRef, digest: string): Promise<{ size: number } | undefined> {
  const stat = await statOrUndefined(layoutPaths(ref).blob(digest));
  return stat?.isFile() ? { size: stat.size } : undefined;
}

/** A stream of the blob that errors before its end when the bytes do not match the descriptor. */
export async function layoutBlobGet(ref: ImageRef, descriptor: BlobDescriptor): Promise<Readable> {
  const file = layoutPaths(ref).blob(descriptor.digest);
  if (!(await statOrUndefined(file))?.isFile()) throw blobUnknown(ref, descriptor.digest);
  const verify = new VerifyingStream(`blob ${descriptor.digest} in ${ref.name}`, descriptor.digest, descriptor.size);
  // The callback form returns the last stream; an error anywhere destroys it with that error.
  return pipelineCallback(fs.createReadStream(file), verify, () => undefined);
}

/** Writes a blob from a stream, verified, atomically; does not read `body` when the blob is already there. */
export async function layoutBlobPut(ref: ImageRef, descriptor: BlobDescriptor, body: () => Readable): Promise<void> {
  const paths = layoutPaths(ref);
  const file = paths.blob(descriptor.digest);
  if (await hasBlob(file, descriptor.size)) return;
  const temp = await tempPath(paths.tmpDir, descriptor.digest.replace(':', '-'));
  try {
    const verify = new VerifyingStream(`blob ${descriptor.digest} for ${ref.name}`, descriptor.digest, descriptor.size);
    await pipeline(body(), verify, fs.createWriteStream(temp, { flags: 'wx', flush: true }));
    await commitTemp(temp, file);
  } catch (err) {
    await discardTemp(temp);
    throw err;
  }
}

/** Writes bytes already verified by the caller (a manifest) as a blob, atomically. */
export async function writeBlobBytes(paths: LayoutPaths, digest: string, bytes: Buffer): Promise<void> {
  const file = paths.blob(digest);
  if (await hasBlob(file, bytes.length)) return;
  await writeFileAtomic(file, bytes, paths.tmpDir);
}

/**
 * "Mounts" a blob from another repository of the same root: a hard link (no bytes copied),
 * or a verified copy where links are not possible. False when `from` is another root or lacks it.
 */
export async function layoutBlobMount(ref: ImageRef, digest: string, from: ImageRef): Promise<boolean> {
  if (from.scheme !== 'layout' || from.registry !== ref.registry) return false;
  const paths = layoutPaths(ref);
  const source = layoutPaths(from).blob(digest);
  const stat = await statOrUndefined(source);
  if (!stat?.isFile()) return false;
  const file = paths.blob(digest);
  if (await hasBlob(file, stat.size)) return true;
  const temp = await tempPath(paths.tmpDir, digest.replace(':', '-'));
  try {
    await fs.promises.link(source, temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err;
    await layoutBlobPut(ref, { digest, size: stat.size }, () => fs.createReadStream(source));
    return true;
  }
  try {
    await commitTemp(temp, file);
  } catch (err) {
    await discardTemp(temp);
    throw err;
  }
  return true;
}

/** The error for a blob that is not in the layout (the OCI `BLOB_UNKNOWN` code). */
export function blobUnknown(ref: ImageRef, digest: string): BasegateError {
  return new BasegateError('BLOB_UNKNOWN', `blob ${digest} is not in ${ref.name}`);
}

async function hasBlob(file: string, size: number): Promise<boolean> {
  const stat = await statOrUndefined(file);
  if (!stat?.isFile()) return false;
  // Only verified bytes are ever renamed into place; a size that differs means the caller's descriptor is wrong.
  if (stat.size !== size) throw new BasegateError('SIZE_MISMATCH', `${file} holds ${stat.size} bytes, the descriptor declares ${size}`);
  return true;
}
