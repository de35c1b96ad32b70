/**
 * Synthesises OCI and Docker v2 images for tests: single-platform manifests or multi-arch
 * indexes, N layers of a chosen size with deterministic pseudo-random content (same seed,
 * same bytes, same digests), an optional base layer shared across images, config labels and
 * `created` dates. `pushImage` seeds a registry with it through the test-only raw client.
 */
import { createHash } from 'node:crypto';
import { rawPushBlob, rawPushManifest, sha256, type RawTarget } from './raw-registry';

export type Format = 'oci' | 'docker';

export interface LayerSpec {
  seed: string;
  size: number;
}

export interface SynthOptions {
  /** Distinguishes the image's own layers from other images'. */
  seed: string;
  /** `os/arch[/variant]`; more than one (or `index: true`) makes an index. Default linux/amd64 + linux/arm64. */
  platforms?: string[];
  /** Force an index even for one platform. */
  index?: boolean;
  /** Own layers per platform. Default 2. */
  layers?: number;
  /** Bytes per own layer. Default 1024. */
  layerSize?: number;
  /** A layer placed first in every platform's manifest, shared with any image that names the same spec. */
  baseLayer?: LayerSpec;
  format?: Format;
  labels?: Record<string, string>;
  created?: string;
}

export interface SynthManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface SynthImage {
  /** Digest of what a tag points at (the index, or the single manifest). */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Per-platform manifests (one when single-platform). */
  manifests: SynthManifest[];
  /** Every blob (configs and layers) by digest. */
  blobs: Map<string, Buffer>;
}

const TYPES = {
  oci: {
    index: 'application/vnd.oci.image.index.v1+json',
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};

/** Deterministic bytes: SHA-256 in counter mode over the seed. */
export function pseudoRandomBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let offset = 0;
  for (let counter = 0; offset < size; counter++) {
    const block = createHash('sha256').update(`${seed}:${counter}`).digest();
    offset += block.copy(out, offset);
  }
  return out;
}

export function synthImage(options: SynthOptions): SynthImage {
  const format = options.format ?? 'oci';
  const types = TYPES[format];
  const platforms = options.platforms ?? ['linux/amd64', 'linux/arm64'];
  const blobs = new Map<string, Buffer>();
  const manifests: SynthManifest[] = [];
  for (const p of platforms) {
    const [os, architecture, variant] = p.split('/');
    const layers: Buffer[] = [];
    if (options.baseLayer) layers.push(pseudoRandomBytes(`base:${options.baseLayer.seed}:${p}`, options.baseLayer.size));
    for (let i = 0; i < (options.layers ?? 2); i++) layers.push(pseudoRandomBytes(`${options.seed}:${p}:${i}`, options.layerSize ?? 1024));
    const layerDescriptors = layers.map((bytes) => {
      const digest = sha256(bytes);
      blobs.set(digest, bytes);
      return { mediaType: types.layer, digest, size: bytes.length };
    });
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        ...(variant ? { variant } : {}),
        created: options.created ?? '2026-01-01T00:00:00Z',
        config: { Labels: options.labels ?? {} },
        rootfs: { type: 'layers', diff_ids: layerDescriptors.map((l) => l.digest) },
      }),
    );
    const configDigest = sha256(config);
    blobs.set(configDigest, config);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: { mediaType: types.config, digest: configDigest, size: config.length },
        layers: layerDescriptors,
      }),
    );
    manifests.push({ digest: sha256(bytes), mediaType: types.manifest, bytes, platform: { os, architecture, ...(variant ? { variant } : {}) } });
  }
  if (platforms.length === 1 && !options.index) {
    const [only] = manifests;
    return { digest: only.digest, mediaType: only.mediaType, bytes: only.bytes, manifests, blobs };
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.index,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: m.platform })),
    }),
  );
  return { digest: sha256(index), mediaType: types.index, bytes: index, manifests, blobs };
}

/** Pushes every blob, every platform manifest, then the top manifest under each tag. */
export async function pushImage(target: RawTarget, repo: string, tags: string[], image: SynthImage): Promise<void> {
  await Promise.all([...image.blobs.values()].map((b) => rawPushBlob(target, repo, b)));
  if (image.manifests.length > 1 || image.manifests[0].digest !== image.digest) {
    for (const m of image.manifests) await rawPushManifest(target, repo, m.digest, m.mediaType, m.bytes);
  }
  if (tags.length === 0) await rawPushManifest(target, repo, image.digest, image.mediaType, image.bytes);
  for (const tag of tags) await rawPushManifest(target, repo, tag, image.mediaType, image.bytes);
}

/** Pushes an artifact (e.g. a signature) whose `subject` is `subjectDigest`, tagged in the `sha256-<hex>.sig` schema too when asked. */
export async function pushReferrer(
  target: RawTarget,
  repo: string,
  subject: { digest: string; mediaType: string; size: number },
  options: { artifactType: string; payload: string; fallbackTag?: boolean },
): Promise<{ digest: string; bytes: Buffer }> {
  const payload = Buffer.from(options.payload);
  const empty = Buffer.from('{}');
  const payloadDigest = await rawPushBlob(target, repo, payload);
  const emptyDigest = await rawPushBlob(target, repo, empty);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: TYPES.oci.manifest,
      artifactType: options.artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: empty.length },
      layers: [{ mediaType: 'application/octet-stream', digest: payloadDigest, size: payload.length }],
      subject,
    }),
  );
  const digest = sha256(bytes);
  await rawPushManifest(target, repo, digest, TYPES.oci.manifest, bytes);
  if (options.fallbackTag) await rawPushManifest(target, repo, subject.digest.replace(':', '-') + '.sig', TYPES.oci.manifest, bytes);
  return { digest, bytes };
}
