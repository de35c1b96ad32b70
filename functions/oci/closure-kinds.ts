/**
 * What a manifest of a promotion closure is, decided by its content (closure.ts):
 * - runnable: an image manifest with at least one filesystem layer, whatever its descriptor's
 *   annotations or platform claim;
 * - an attachment otherwise (BuildKit attestations, https://docs.docker.com/build/metadata/attestations/attestation-storage/,
 *   whose layers are `application/vnd.in-toto+json`; cosign signatures; SBOMs; other artifacts),
 *   anchored to the sibling entry its `vnd.docker.reference.digest` names, else to its index.
 */
import type { Descriptor, ImageManifest } from './schema';

/**
 * Layer media types a runtime unpacks into the root filesystem: OCI's (tar, +gzip, +zstd, and
 * the deprecated non-distributable ones, image-spec media-types.md) and Docker's rootfs diffs
 * (https://distribution.github.io/distribution/spec/manifest-v2-2/).
 */
const FILESYSTEM_LAYER = /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.gzip)?)$/;

/** The annotation BuildKit puts on an attestation entry, naming the image entry it describes. */
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

/** True for a layer media type that unpacks into a filesystem. */
export function isFilesystemLayer(mediaType: string): boolean {
  return FILESYSTEM_LAYER.test(mediaType);
}

/** True when the image manifest has a filesystem layer: something a runtime would run. */
export function isRunnableImage(manifest: Pick<ImageManifest, 'layers'>): boolean {
  return manifest.layers.some((l) => isFilesystemLayer(l.mediaType));
}

/** The anchor of an index entry should it be an attachment: the sibling it names, else the index. */
export function attachedToOf(entry: Descriptor, index: { digest: string; children: readonly Descriptor[] }): string {
  const named = entry.annotations?.[REFERENCE_DIGEST];
  return named !== undefined && named !== entry.digest && index.children.some((c) => c.digest === named) ? named : index.digest;
}
