/**
 * Copies one manifest and everything under it, children and blobs first, the manifest last,
 * so that a crash at any point leaves nothing in the target that points at missing content.
 *
 * - The source manifest is fetched by digest, which the port verifies (its size and media
 *   type are checked here against the descriptor that named it): never re-serialised, so the target
 *   digest equals the source digest.
 * - A platform filter applies to the top-level index only: it may write a new, smaller index
 *   of the same media type (platform-filter.ts). Nested indexes are copied whole.
 * - A manifest the target already has is not walked again: a registry (and the layout backend)
 *   refuses a manifest whose blobs or children are missing, so its presence means completeness.
 */
import { ContentRejectedError, DigestMismatchError } from '../errors';
import type { CopyRun } from './copy-run';
import { algorithmOf, digestOf } from './digest';
import { isForeignLayer, parseManifestJson } from './manifest-json';
import { isIndex, isKnownManifest } from './media-types';
import { filterIndex, formatPlatform, platformMatches, type PlatformSpec } from './platform-filter';
import { imageConfigSchema, imageManifestSchema, indexSchema, type Descriptor } from './schema';

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

/** How to copy one manifest tree. */
export interface ManifestCopyOptions {
  /** Platforms to keep; only the top-level manifest takes a filter. */
  platforms?: readonly PlatformSpec[];
  /** Collects the digests copied verbatim, whose referrers then follow them. */
  subjects: string[];
}

/** The largest image config read to check a single-platform image's platform; configs are a few KiB. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Copies the manifest `wanted` names, and all it needs, into the target repository. */
export async function copyManifest(run: CopyRun, wanted: { digest: string; mediaType?: string; size?: number }, options: ManifestCopyOptions): Promise<CopiedManifest> {
  const { source, target } = run.options;
  const what = `manifest ${wanted.digest} of ${run.options.sourceRef.name}`;
  // Fetched by digest: the port's manifestGet has verified the bytes against it.
  const fetched = await run.task(() => source.manifestGet(run.sourceAt(wanted.digest)));
  if (wanted.size !== undefined && fetched.bytes.length !== wanted.size) {
    throw new ContentRejectedError('SIZE_MISMATCH', `${what}: ${fetched.bytes.length} bytes, its descriptor declares ${wanted.size}`);
  }
  if (wanted.mediaType !== undefined && fetched.mediaType !== wanted.mediaType) {
    throw new ContentRejectedError('MANIFEST_INVALID', `${what}: served as ${fetched.mediaType}, its descriptor says ${wanted.mediaType}`);
  }
  const mediaType = fetched.mediaType;
  if (!isKnownManifest(mediaType)) throw new ContentRejectedError('MEDIA_TYPE_UNSUPPORTED', `${what}: media type ${mediaType} is not one basegate copies`);
  const json = parseManifestJson(fetched.bytes, what);

  let bytes = fetched.bytes;
  let children: Descriptor[] = [];
  let blobs: Descriptor[] = [];
  let config: Descriptor | undefined;
  if (isIndex(mediaType)) {
    const index = indexSchema.safeParse(json);
    if (!index.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${index.error.issues[0]?.message}`);
    children = index.data.manifests;
    if (options.platforms) {
      const filtered = filterIndex({ ...json, manifests: index.data.manifests }, options.platforms, what);
      if (filtered.changed) {
        bytes = filtered.bytes;
        children = filtered.kept;
      }
    }
  } else {
    const image = imageManifestSchema.safeParse(json);
    if (!image.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${image.error.issues[0]?.message}`);
    config = image.data.config;
    blobs = [image.data.config, ...image.data.layers.filter((l) => !isForeignLayer(l))];
  }
  const verbatim = bytes === fetched.bytes;
  const digest = verbatim ? fetched.digest : digestOf(bytes, algorithmOf(wanted.digest));
  if (verbatim) options.subjects.push(digest);
  const copied = { digest, sourceDigest: fetched.digest, mediaType, bytes };

  if (options.platforms && config) await checkImagePlatform(run, config, options.platforms, what);
  const present = await run.task(() => target.manifestHead(run.targetAt(digest)));
  if (present?.digest === digest) {
    run.stats.manifestsSkipped++;
    run.emit({ type: 'manifest', digest, mediaType, action: 'skipped' });
    return { ...copied, pushed: false };
  }

  await run.all(children, (child) => copyManifest(run, child, { subjects: options.subjects }));
  await run.all(blobs, (blob) => run.blobs.copy(blob));
  const stored = await run.task(() => target.manifestPut(run.targetAt(digest), { mediaType, bytes }));
  if (stored !== digest) throw new DigestMismatchError(`manifest pushed to ${run.options.targetRepo.name}`, digest, stored);
  run.stats.manifests++;
  run.emit({ type: 'manifest', digest, mediaType, action: 'pushed' });
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
