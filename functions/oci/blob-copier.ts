/**
 * Copies one blob into the target repository, cheapest way first:
 * 1. skipped: the memo says the target repository has it;
 * 2. mounted: the memo knows it in another repository of the same target registry, and the
 *    target can mount (`canMount`): the mount is the existence check, no HEAD, no bytes move;
 * 3. skipped: a HEAD says the target repository has it;
 * 4. mounted: from the memo's other repositories, then the caller's `mountSources`;
 * 5. uploaded: streamed from the source's `blobGet`, which the port requires to verify while
 *    streaming (both backends do), so the upload does not hash it again (`verifiedBody`; a
 *    layout target still verifies what it writes). A stream that fails verification errors
 *    before its end, so the target never commits it. The body is a factory, so a retry in the target backend refetches.
 * Each blob is copied once per copy even when several manifests share it, and uploaded once per
 * run even when copies into several repositories need it at the same time (the others wait for
 * that upload, then skip or mount it).
 */
import { PassThrough, type Readable } from 'node:stream';
import { ContentRejectedError } from '../errors';
import type { CopyRun } from './copy-run';
import { forward } from './forward-stream';
import type { ImageRef } from './reference';
import { canMount } from './registry-port';
import type { Descriptor } from './schema';

/** Copies blobs for one {@link CopyRun}, each digest once. */
export class BlobCopier {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly run: CopyRun) {}

  /** Makes sure the target repository has the blob; shares the work with concurrent callers of the same digest. */
  copy(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<void> {
    let pending = this.inFlight.get(descriptor.digest);
    if (!pending) {
      // A concurrent upload of the same blob is waited for before taking a slot, so waiting holds none.
      const { blobLocations, targetRepo } = this.run.options;
      pending = Promise.resolve(blobLocations.upload(targetRepo, descriptor.digest)).then(() => this.run.task(() => this.transfer(descriptor)));
      this.inFlight.set(descriptor.digest, pending);
    }
    return pending;
  }

  private async transfer(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<void> {
    const { targetRepo, blobLocations } = this.run.options;
    for (;;) {
      // Another copy of the run is uploading this blob into the registry: its outcome decides skip, mount or upload.
      await blobLocations.upload(targetRepo, descriptor.digest);
      if (await this.placed(descriptor)) return;
      this.run.checkpoint();
      // Checked and claimed in the same tick, so two copies never both start the upload.
      if (blobLocations.upload(targetRepo, descriptor.digest)) continue;
      const upload = this.upload(descriptor);
      blobLocations.uploading(targetRepo, descriptor.digest, upload);
      return upload;
    }
  }

  /**
   * Skips or mounts the blob when the target has it somewhere; false when it must be uploaded.
   * A blob known in another repository of the target registry is mounted at once, the mount
   * standing in for the HEAD (201 whether or not the repository had it). A 202 leaves it
   * unknown: after a HEAD, the other places are tried. A 202 for a blob this run put in `from`
   * means the registry does not mount: it is asked with HEAD alone for the rest of the run.
   */
  private async placed(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
    const { target, targetRepo, blobLocations, mountSources } = this.run.options;
    const { digest, size } = descriptor;
    if (blobLocations.has(targetRepo, digest)) return this.skipped(descriptor);
    const mounting = canMount(target) && blobLocations.mounts(targetRepo);
    const known = mounting ? blobLocations.elsewhere(targetRepo, digest) : [];
    const first = known[0];
    if (first && (await this.mounted(descriptor, first))) return true;
    if (first && blobLocations.seenThisRun(first, digest)) blobLocations.mountDeclined(targetRepo);
    const present = await target.blobHead(targetRepo, digest);
    if (present !== undefined) {
      if (present.size !== size) throw new ContentRejectedError('SIZE_MISMATCH', `blob ${digest} in ${targetRepo.name} has ${present.size} bytes, its descriptor declares ${size}`);
      return this.skipped(descriptor);
    }
    if (!mounting || !blobLocations.mounts(targetRepo)) return false;
    const hinted = mountSources.filter((m) => m.repository !== targetRepo.repository && !known.some((k) => k.repository === m.repository));
    for (const from of [...known.slice(1), ...hinted]) if (await this.mounted(descriptor, from)) return true;
    return false;
  }

  private skipped(descriptor: Pick<Descriptor, 'digest' | 'size'>): true {
    const { targetRepo, blobLocations } = this.run.options;
    blobLocations.record(targetRepo, descriptor.digest);
    this.run.stats.blobsSkipped++;
    this.run.emit({ type: 'blob', digest: descriptor.digest, size: descriptor.size, action: 'skipped' });
    return true;
  }

  /** Mounts the blob from `from`; false when the registry declined (its session cancelled). */
  private async mounted(descriptor: Pick<Descriptor, 'digest' | 'size'>, from: ImageRef): Promise<boolean> {
    const { target, targetRepo, blobLocations } = this.run.options;
    this.run.checkpoint();
    if (!canMount(target) || !(await target.blobMount(targetRepo, descriptor.digest, from))) return false;
    blobLocations.record(targetRepo, descriptor.digest);
    this.run.stats.blobsMounted++;
    this.run.emit({ type: 'blob', digest: descriptor.digest, size: descriptor.size, action: 'mounted', from: from.repository });
    return true;
  }

  private async upload(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<void> {
    const { target, targetRepo, blobLocations } = this.run.options;
    const { digest, size } = descriptor;
    const from = this.run.sourceAt(digest);
    await target.blobPut(targetRepo, descriptor, () => sourceStream(this.run, from, descriptor), { verifiedBody: true });
    blobLocations.record(targetRepo, digest);
    this.run.stats.blobsUploaded++;
    this.run.stats.bytesUploaded += size;
    this.run.emit({ type: 'blob', digest, size, action: 'uploaded' });
  }
}

/**
 * A stream of the source blob (verified by the port's `blobGet`). It exists at once while the
 * source request starts, as the body factory must return synchronously; a failure of the
 * request or of the verification errors it.
 */
function sourceStream(run: CopyRun, from: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>): Readable {
  const out = new PassThrough();
  run.options.source.blobGet(from, descriptor).then(
    (body) => {
      if (out.destroyed) {
        body.destroy(); // the consumer gave up (a retry) before the source answered
        return;
      }
      forward(body, out);
    },
    (err: unknown) => out.destroy(err as Error),
  );
  return out;
}
