/**
 * Copies one manifest of the resolved closure (closure.ts) and everything under it, children
 * and blobs first, the manifest last, so that a crash at any point leaves nothing in the target
 * that points at missing content.
 *
 * - Only manifests of the closure are written, with the bytes the closure fetched (by digest,
 *   verified by the port, never re-serialised: the target digest equals the source digest). A
 *   digest outside the closure is refused (`CLOSURE_MISMATCH`), never fetched.
 * - A root index the platform filter changed is written as the smaller index the closure made
 *   (platform-filter.ts); nested indexes are copied whole.
 * - A manifest the target already has is not walked again: a registry (and the layout backend)
 *   refuses a manifest whose blobs or children are missing, so its presence means completeness.
 */
import { ContentRejectedError, DigestMismatchError } from '../errors';
import type { CopyRun } from './copy-run';
import { algorithmOf, digestOf } from './digest';
import { parseManifestJson } from './manifest-json';
import { formatPlatform, platformMatches, type PlatformSpec } from './platform-filter';
import { imageConfigSchema, type Descriptor } from './schema';

/** A manifest now present in the target. */
export interface CopiedManifest {
  /** Digest in the target (differs from `sourceDigest` only for a filtered index). */
  digest: string;
  sourceDigest: string;
  mediaType: string;
  /** The exact bytes stored under `digest`. */
  bytes: Buffer;
  /** False when the target already had it. */
  pushed: boolean;
}

/** The largest image config read to check a single-platform image's platform; configs are a few KiB. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Copies the closure's manifest `sourceDigest`, and all it needs, into the target repository. */
export async function copyManifest(run: CopyRun, sourceDigest: string): Promise<CopiedManifest> {
  const entry = run.closure.manifests.get(sourceDigest);
  const what = `manifest ${sourceDigest} of ${run.options.sourceRef.name}`;
  if (!entry) throw new ContentRejectedError('CLOSURE_MISMATCH', `${what} is not in the resolved closure; it is not copied`);
  const { target } = run.options;
  const bytes = entry.written;
  const digest = bytes === entry.bytes ? entry.digest : digestOf(bytes, algorithmOf(entry.digest));
  const copied = { digest, sourceDigest: entry.digest, mediaType: entry.mediaType, bytes };

  if (entry.role === 'root' && run.options.platforms && entry.kind !== 'index') await checkImagePlatform(run, entry.blobs[0], run.options.platforms, what);
  const present = await run.task(() => target.manifestHead(run.targetAt(digest)));
  if (present?.digest === digest) {
    run.stats.manifestsSkipped++;
    run.emit({ type: 'manifest', digest, mediaType: entry.mediaType, action: 'skipped' });
    return { ...copied, pushed: false };
  }

  await run.all(entry.children, (child) => copyManifest(run, child.digest));
  await run.all(entry.blobs, (blob) => run.blobs.copy(blob));
  const stored = await run.task(() => target.manifestPut(run.targetAt(digest), { mediaType: entry.mediaType, bytes }));
  if (stored !== digest) throw new DigestMismatchError(`manifest pushed to ${run.options.targetRepo.name}`, digest, stored);
  run.stats.manifests++;
  run.emit({ type: 'manifest', digest, mediaType: entry.mediaType, action: 'pushed' });
  return { ...copied, pushed: true };
}

/** Refuses a single-platform image whose config names a platform the filter does not keep. */
async function checkImagePlatform(run: CopyRun, config: Descriptor, platforms: readonly PlatformSpec[], what: string): Promise<void> {
  if (config.size > MAX_CONFIG_BYTES) throw new ContentRejectedError('CONFIG_TOO_LARGE', `${what}: config of ${config.size} bytes exceeds ${MAX_CONFIG_BYTES}`);
  const bytes = await run.task(async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of await run.options.source.blobGet(run.sourceAt(config.digest), config)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks); // verified: the port's blobGet errors before the end on a wrong byte
  });
  const parsed = imageConfigSchema.safeParse(parseManifestJson(bytes, `config ${config.digest}`));
  const platform = parsed.success ? parsed.data : undefined;
  const variant = (parsed.success ? (parsed.data as { variant?: unknown }).variant : undefined) as string | undefined;
  if (!platform?.os || !platform.architecture) throw new ContentRejectedError('PLATFORM_NOT_FOUND', `${what}: its config names no platform, so no platform filter can keep it`);
  const found = { os: platform.os, architecture: platform.architecture, ...(variant ? { variant } : {}) };
  if (!platformMatches(platforms, found)) {
    throw new ContentRejectedError('PLATFORM_NOT_FOUND', `${what} is ${formatPlatform(found)}, not one of ${platforms.map(formatPlatform).join(', ')}`);
  }
}
