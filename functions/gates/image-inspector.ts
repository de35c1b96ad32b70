/**
 * The gates' read access to the image under validation, over the Registry port.
 *
 * Everything is fetched lazily (a gate set without `maxSize`/`labels` never reads a platform
 * manifest) and once per inspector (every gate shares the same fetch). Every manifest is
 * fetched by digest, so the port verifies its bytes; configs are blobs, verified while streamed.
 *
 * Index entries that are not runnable images are left out of `platforms()`: BuildKit's
 * attestation manifests (`unknown/unknown`, annotation `vnd.docker.reference.type:
 * attestation-manifest`, https://docs.docker.com/build/metadata/attestations/attestation-storage/)
 * and entries that are not image manifests (nested indexes, artifacts).
 *
 * Referrers are what the port lists (referrers API, else the OCI `sha256-<hex>` tag schema)
 * plus cosign's own tag schema (`sha256-<hex>.sig|.att|.sbom`, cosign before OCI 1.1), each
 * given the artifact type cosign uses for it in referrers mode.
 */
import type { z } from 'zod';
import { MemoryCache, cached } from '../cache';
import { ConfigError, ContentRejectedError, InvalidReferenceError } from '../errors';
import { isImageManifest, isIndex } from '../oci/media-types';
import type { ImageRef } from '../oci/reference';
import type { Manifest, Registry } from '../oci/registry-port';
import { imageConfigSchema, imageManifestSchema, indexSchema, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/schema';
import type { ImageInspector, PlatformImage } from '../pipeline/gate-port';
import { cosignTags, type CosignTag } from '../oci/registry/referrers';
import { platformName } from './platform-name';

/** Options of {@link createImageInspector}. */
export interface ImageInspectorOptions {
  /** Largest image config read, in bytes. */
  maxConfigBytes?: number;
}

const DEFAULTS = {
  /** Real configs are a few KiB, up to ~1 MiB with long histories; more is hostile or broken. */
  maxConfigBytes: 4 * 1024 * 1024,
} as const;

/** Fills in the defaults of {@link ImageInspectorOptions}. */
export function resolveImageInspectorOptions(options: ImageInspectorOptions = {}): Required<ImageInspectorOptions> {
  const maxConfigBytes = options.maxConfigBytes ?? DEFAULTS.maxConfigBytes;
  if (!(Number.isInteger(maxConfigBytes) && maxConfigBytes > 0)) throw new ConfigError(`maxConfigBytes must be a positive integer, got ${maxConfigBytes}`, { path: 'maxConfigBytes' });
  return { maxConfigBytes };
}

/** Annotation BuildKit puts on attestation entries of an index. */
const REFERENCE_TYPE = 'vnd.docker.reference.type';

/** Lazy, memoised, verified read access to `source` (which must be pinned to a digest). */
export function createImageInspector(registry: Registry, source: ImageRef, options: ImageInspectorOptions = {}): ImageInspector {
  if (!source.digest) throw new InvalidReferenceError(source.toString(), 'the image under validation must be pinned to a digest');
  const pinned = source.pinned();
  const { maxConfigBytes } = resolveImageInspectorOptions(options);
  // One store per inspector: an inspector lives for one validation of one digest.
  const store = new MemoryCache();
  const forever = Infinity;

  const manifest = (digest: string): Promise<Manifest> =>
    cached({ namespace: 'inspector.manifest', key: digest, ttl: forever, store }, () => registry.manifestGet(pinned.withDigest(digest)));

  const top = (): Promise<Manifest> => manifest(pinned.digest as string);

  const platforms = (): Promise<PlatformImage[]> =>
    cached({ namespace: 'inspector.platforms', key: pinned.digest as string, ttl: forever, store }, async () => {
      const root = await top();
      if (isImageManifest(root.mediaType)) {
        const parsed = parseJson(root, imageManifestSchema);
        const descriptor: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.size };
        const image: PlatformImage = { platform: '', descriptor, manifest: parsed };
        return [{ ...image, platform: platformOfConfig(await config(image)) }];
      }
      if (!isIndex(root.mediaType)) throw new ContentRejectedError('MANIFEST_UNSUPPORTED', `${pinned}: media type ${root.mediaType} is neither an image manifest nor an index`);
      const index = parseJson(root, indexSchema);
      const entries = index.manifests.filter(isRunnableEntry);
      return Promise.all(
        entries.map(async (descriptor): Promise<PlatformImage> => {
          const got = await manifest(descriptor.digest);
          if (!isImageManifest(got.mediaType)) throw new ContentRejectedError('MANIFEST_UNSUPPORTED', `${pinned.withDigest(descriptor.digest)}: index entry of media type ${got.mediaType}, expected an image manifest`);
          const parsed = parseJson(got, imageManifestSchema);
          const image: PlatformImage = { platform: descriptor.platform ? platformName(descriptor.platform) : '', descriptor, manifest: parsed };
          return image.platform ? image : { ...image, platform: platformOfConfig(await config(image)) };
        }),
      );
    });

  const config = (image: { manifest: ImageManifest }): Promise<ImageConfig> => {
    const descriptor = image.manifest.config;
    return cached({ namespace: 'inspector.config', key: descriptor.digest, ttl: forever, store }, async () => {
      if (descriptor.size > maxConfigBytes) {
        throw new ContentRejectedError('CONFIG_TOO_LARGE', `${pinned}: image config ${descriptor.digest} declares ${descriptor.size} bytes, more than the ${maxConfigBytes} accepted`);
      }
      let json: unknown;
      try {
        json = JSON.parse((await readBlob(descriptor)).toString('utf8'));
      } catch (err) {
        throw new ContentRejectedError('CONFIG_INVALID', `${pinned}: image config ${descriptor.digest} is not JSON: ${(err as Error).message}`);
      }
      const parsed = imageConfigSchema.safeParse(json);
      if (!parsed.success) throw new ContentRejectedError('CONFIG_INVALID', `${pinned}: image config ${descriptor.digest}: ${describeIssues(parsed.error)}`);
      return parsed.data;
    });
  };

  const readBlob = async (descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of await registry.blobGet(pinned, descriptor)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  const blob = (descriptor: Pick<Descriptor, 'digest' | 'size'>, maxBytes: number): Promise<Buffer> => {
    if (descriptor.size > maxBytes) throw new ContentRejectedError('BLOB_TOO_LARGE', `${pinned}: blob ${descriptor.digest} declares ${descriptor.size} bytes, more than the ${maxBytes} accepted`);
    return cached({ namespace: 'inspector.blob', key: descriptor.digest, ttl: forever, store }, () => readBlob(descriptor));
  };

  const referrers = (artifactType?: string): Promise<Descriptor[]> =>
    cached({ namespace: 'inspector.referrers', key: artifactType ?? '', ttl: forever, store }, async () => {
      const [listed, tagged] = await Promise.all([registry.referrers(pinned, artifactType ? { artifactType } : {}), cosignTags(registry, pinned)]);
      const fromTags = tagged.map((t): Descriptor => ({ mediaType: t.info.mediaType, digest: t.info.digest, size: t.info.size, artifactType: cosignArtifactType(t.kind) }));
      const all = [...listed, ...fromTags.filter((d) => !listed.some((l) => l.digest === d.digest))];
      // A registry may ignore the filter (OCI-Filters-Applied absent, distribution-spec "Listing Referrers"): apply it here too.
      return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
    });

  return {
    mediaType: async () => (await top()).mediaType,
    platforms,
    config: (image) => config(image),
    referrers,
    manifest: (digest) => manifest(digest),
    blob,
  };
}

/** False for attestation entries and for anything that is not an image manifest. */
function isRunnableEntry(descriptor: Descriptor): boolean {
  if (!isImageManifest(descriptor.mediaType)) return false;
  if (descriptor.annotations?.[REFERENCE_TYPE] === 'attestation-manifest') return false;
  return !(descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown');
}

function platformOfConfig(config: ImageConfig): string {
  const variant = typeof config.variant === 'string' ? config.variant : undefined;
  return platformName({ os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown', variant });
}

function parseJson<T>(manifest: Manifest, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString('utf8'));
  } catch (err) {
    throw new ContentRejectedError('MANIFEST_INVALID', `manifest ${manifest.digest} is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ContentRejectedError('MANIFEST_INVALID', `manifest ${manifest.digest}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The artifact type cosign gives a signature, attestation or SBOM in OCI 1.1 mode (`application/vnd.dev.cosign.artifact.sig.v1+json`). */
export function cosignArtifactType(kind: CosignTag['kind']): string {
  return `application/vnd.dev.cosign.artifact.${kind}.v1+json`;
}
