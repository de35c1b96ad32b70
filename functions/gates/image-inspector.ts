/**
 * The gates' read access to the image under validation, over the Registry port.
 *
 * The gates judge what the promotion writes: the inspector resolves the promotion closure
 * (oci/closure.ts: the root as the promoter will write it, every index entry and nested index,
 * every referrer, all bounded) once, and `platforms()` are its runnable images wherever they
 * sit, each with the attachments judged with it (attestations, their signatures). Give the
 * inspector the platforms the promoter keeps (`platforms`), or none when it takes an index
 * whole (ARM import): then every entry is judged.
 *
 * Everything is fetched lazily and once per inspector (every gate shares the same fetch).
 * Every manifest is fetched by digest, so the port verifies its bytes; configs are blobs,
 * verified while streamed.
 *
 * Referrers are what the port lists (referrers API, else the OCI `sha256-<hex>` tag schema)
 * plus cosign's own tag schema (`sha256-<hex>.sig|.att|.sbom`, cosign before OCI 1.1), each
 * given the artifact type cosign uses for it in referrers mode: the closure's own, so the
 * referrers a gate sees are the ones promoted (unless the root is a filtered index, whose
 * referrers are not promoted: they are then listed apart).
 */
import type { z } from 'zod';
import { MemoryCache, cached } from '../cache';
import { ConfigError, ContentRejectedError, InvalidReferenceError } from '../errors';
import { resolveClosure, type Closure, type ClosureLimits, type ClosureManifest } from '../oci/closure';
import { DEFAULTS as COPY_DEFAULTS } from '../oci/copy-options';
import { parsePlatform } from '../oci/platform-filter';
import type { ImageRef } from '../oci/reference';
import type { Manifest, ReferrersOptions, Registry } from '../oci/registry-port';
import { isImageManifest, isIndex } from '../oci/media-types';
import { imageConfigSchema, imageManifestSchema, indexSchema, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/schema';
import type { ClosureEntry, ImageInspector, PlatformImage, PromotionClosure } from '../pipeline/gate-port';
import type { Promoter } from '../pipeline/ports';
import type { TrackedImage } from '../pipeline/tracked-image';
import { cosignTags, type CosignTag } from '../oci/registry/referrers';
import { platformName } from './platform-name';

/** Options of {@link createImageInspector}. */
export interface ImageInspectorOptions {
  /** Largest image config read, in bytes. */
  maxConfigBytes?: number;
  /** Platforms the promoter keeps of the root index (`os/arch[/variant]`); omitted when it takes the index whole. */
  platforms?: readonly string[];
  /** Bounds of the closure; oci/closure.ts's defaults when omitted. */
  limits?: Partial<ClosureLimits>;
}

const DEFAULTS = {
  /** Real configs are a few KiB, up to ~1 MiB with long histories; more is hostile or broken. */
  maxConfigBytes: 4 * 1024 * 1024,
} as const;

/** Fills in the defaults of {@link ImageInspectorOptions}. */
export function resolveImageInspectorOptions(options: ImageInspectorOptions = {}): { maxConfigBytes: number } {
  const maxConfigBytes = options.maxConfigBytes ?? DEFAULTS.maxConfigBytes;
  if (!(Number.isInteger(maxConfigBytes) && maxConfigBytes > 0)) throw new ConfigError(`maxConfigBytes must be a positive integer, got ${maxConfigBytes}`, { path: 'maxConfigBytes' });
  return { maxConfigBytes };
}

/** The inspector options that make the gates judge what `promoter` writes of `image`: its platforms when it filters, its closure bounds. */
export function inspectorOptionsFor(image: Pick<TrackedImage, 'platforms' | 'closureLimits'>, promoter: Pick<Promoter, 'filtersPlatforms'>): ImageInspectorOptions {
  return { platforms: promoter.filtersPlatforms ? image.platforms : undefined, limits: image.closureLimits };
}

/** Annotation BuildKit puts on attestation entries of an index. */
const REFERENCE_TYPE = 'vnd.docker.reference.type';

/** Lazy, memoised, verified read access to `source` (which must be pinned to a digest). */
export function createImageInspector(registry: Registry, source: ImageRef, options: ImageInspectorOptions = {}): ImageInspector {
  if (!source.digest) throw new InvalidReferenceError(source.toString(), 'the image under validation must be pinned to a digest');
  const pinned = source.pinned();
  const { maxConfigBytes } = resolveImageInspectorOptions(options);
  const platformFilter = options.platforms?.length ? options.platforms.map(parsePlatform) : undefined;
  // One store per inspector: an inspector lives for one validation of one digest.
  const store = new MemoryCache();
  const forever = Infinity;

  const manifest = (digest: string): Promise<Manifest> =>
    cached({ namespace: 'inspector.manifest', key: digest, ttl: forever, store }, () => registry.manifestGet(pinned.withDigest(digest)));
  // The closure reads manifests through the same memo, so `offered()` and the closure fetch each once.
  const memoised = {
    manifestGet: (ref: ImageRef) => manifest(ref.digest!),
    manifestHead: (ref: ImageRef) => registry.manifestHead(ref),
    referrers: (ref: ImageRef, options?: ReferrersOptions) => registry.referrers(ref, options),
  };

  const closure = (): Promise<Closure> =>
    cached({ namespace: 'inspector.closure', key: pinned.digest as string, ttl: forever, store }, () =>
      resolveClosure({
        source: memoised,
        ref: pinned,
        platforms: platformFilter,
        limits: options.limits,
        referrers: {
          depth: COPY_DEFAULTS.referrerDepth,
          cosignSuffixes: COPY_DEFAULTS.cosignSuffixes,
          tags: () => registry.tagList(pinned).then((t) => new Set(t), () => undefined),
        },
      }),
    );

  const view = (): Promise<PromotionClosure> =>
    cached({ namespace: 'inspector.view', key: pinned.digest as string, ttl: forever, store }, async () => closureView(await closure()));

  const platforms = (): Promise<PlatformImage[]> =>
    cached({ namespace: 'inspector.platforms', key: pinned.digest as string, ttl: forever, store }, async () => {
      let c: Closure;
      try {
        c = await closure();
      } catch (err) {
        // An index with none of the platforms the promoter keeps has no platform to judge (the closure gate says why).
        if (err instanceof ContentRejectedError && err.code === 'PLATFORM_NOT_FOUND') return [];
        throw err;
      }
      const v = await view();
      const runnable = [...c.manifests.values()].filter((m) => m.kind === 'image');
      return Promise.all(
        runnable.map(async (m): Promise<PlatformImage> => {
          const manifest = parseJson(m, imageManifestSchema);
          const descriptor: Descriptor = m.descriptor ?? { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
          const attachments = v.entries.filter((e) => e.kind === 'attachment' && e.attachedTo === m.digest);
          const image: PlatformImage = { platform: descriptor.platform ? platformName(descriptor.platform) : '', descriptor, manifest, attachments };
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
      const c = await closure();
      if (c.root.written === c.root.bytes) {
        // The promotion copies these: the gates see exactly them.
        const own = c.referrers.filter((r) => r.subject === c.root.digest);
        const all = own
          .map((r): Descriptor => (r.tag && !r.descriptor.artifactType ? { ...r.descriptor, artifactType: cosignArtifactType(r.tag.slice(r.tag.lastIndexOf('.') + 1) as CosignTag['kind']) } : r.descriptor))
          .filter((d, i, list) => list.findIndex((o) => o.digest === d.digest) === i);
        return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
      }
      const [listed, tagged] = await Promise.all([registry.referrers(pinned, artifactType ? { artifactType } : {}), cosignTags(registry, pinned)]);
      const fromTags = tagged.map((t): Descriptor => ({ mediaType: t.info.mediaType, digest: t.info.digest, size: t.info.size, artifactType: cosignArtifactType(t.kind) }));
      const all = [...listed, ...fromTags.filter((d) => !listed.some((l) => l.digest === d.digest))];
      // A registry may ignore the filter (OCI-Filters-Applied absent, distribution-spec "Listing Referrers"): apply it here too.
      return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
    });

  const offered = (): Promise<string[]> =>
    cached({ namespace: 'inspector.offered', key: pinned.digest as string, ttl: forever, store }, async () => {
      const root = await manifest(pinned.digest as string);
      if (isImageManifest(root.mediaType)) return [platformOfConfig(await config({ manifest: parseJson(root, imageManifestSchema) }))];
      if (!isIndex(root.mediaType)) return [];
      return parseJson(root, indexSchema)
        .manifests.filter((d) => d.platform && d.annotations?.[REFERENCE_TYPE] !== 'attestation-manifest' && !(d.platform.os === 'unknown' && d.platform.architecture === 'unknown'))
        .map((d) => platformName(d.platform!));
    });

  return {
    mediaType: async () => (await manifest(pinned.digest as string)).mediaType,
    platforms,
    offered,
    closure: view,
    config: (image) => config(image),
    referrers,
    manifest: (digest) => manifest(digest),
    blob,
  };
}

/** The gates' view of a closure: each attachment anchored to the runnable image it is judged with. */
function closureView(c: Closure): PromotionClosure {
  const anchorOf = (m: ClosureManifest): string | undefined => {
    const seen = new Set<string>();
    let at: ClosureManifest | undefined = m;
    while (at?.kind === 'attachment' && at.attachedTo !== undefined && !seen.has(at.digest)) {
      seen.add(at.digest);
      at = c.manifests.get(at.attachedTo);
    }
    return at?.kind === 'image' ? at.digest : undefined;
  };
  const entries = [...c.manifests.values()].map(
    (m): ClosureEntry => ({
      digest: m.digest,
      mediaType: m.mediaType,
      kind: m.kind,
      role: m.role,
      size: m.blobs.reduce((sum, b) => sum + b.size, 0),
      ...(m.kind === 'attachment' && anchorOf(m) ? { attachedTo: anchorOf(m) } : {}),
      ...(m.descriptor?.platform ? { platform: platformName(m.descriptor.platform) } : {}),
    }),
  );
  return { entries, referrers: [...new Set(c.referrers.map((r) => r.descriptor.digest))], totalSize: c.totalSize };
}

function platformOfConfig(config: ImageConfig): string {
  const variant = typeof config.variant === 'string' ? config.variant : undefined;
  return platformName({ os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown', variant });
}

function parseJson<T>(manifest: Pick<Manifest, 'bytes' | 'digest'>, schema: z.ZodType<T>): T {
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
