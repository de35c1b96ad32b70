/**
 * Hostile upstream images for the promotion-closure tests, pushed to a real registry: an index
 * whose judged entry is small and honest while something promoted with it is large, hidden
 * where the old gates did not look (an attestation-annotated entry, a nested index).
 */
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST } from '../../functions/oci/media-types';
import type { Descriptor } from '../../functions/oci/schema';
import { pseudoRandomBytes } from './image-synth';
import { rawPushBlob, rawPushManifest, sha256, type RawTarget } from './raw-registry';

/** A pushed manifest, as an index entry names it. */
export type Pushed = Descriptor & { bytes: Buffer };

/** Pushes an image manifest of `layers` (pseudo-random bytes of these sizes) with a config naming `os/arch`. */
export async function pushPlatformImage(target: RawTarget, repo: string, options: { seed: string; platform: string; layers: number[]; layerMediaType?: string }): Promise<Pushed> {
  const [os, architecture] = options.platform.split('/');
  const config = Buffer.from(JSON.stringify({ architecture, os, created: '2026-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  await rawPushBlob(target, repo, config);
  const layers: Descriptor[] = [];
  for (const [i, size] of options.layers.entries()) {
    const bytes = pseudoRandomBytes(`${options.seed}-${i}`, size);
    await rawPushBlob(target, repo, bytes);
    layers.push({ mediaType: options.layerMediaType ?? OCI_LAYER, digest: sha256(bytes), size });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length }, layers }));
  const digest = await rawPushManifest(target, repo, sha256(bytes), OCI_MANIFEST, bytes);
  return { mediaType: OCI_MANIFEST, digest, size: bytes.length, bytes };
}

/** Pushes an index of `entries` under `tag` (or untagged, by digest). */
export async function pushIndex(target: RawTarget, repo: string, tag: string | undefined, entries: Descriptor[]): Promise<Pushed> {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  const digest = await rawPushManifest(target, repo, tag ?? sha256(bytes), OCI_INDEX, bytes);
  return { mediaType: OCI_INDEX, digest, size: bytes.length, bytes };
}

/** An index entry for a pushed manifest. */
export function entry(pushed: Pushed, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: pushed.mediaType, digest: pushed.digest, size: pushed.size, ...extra };
}

/** BuildKit's attestation annotations for an entry describing `subject` (https://docs.docker.com/build/metadata/attestations/attestation-storage/). */
export function attestationOf(subject: Pushed): Partial<Descriptor> {
  return { platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject.digest } };
}

/** The three hostile shapes: each hides `big` bytes next to a small honest linux/amd64 image. */
export type HostileShape = 'runnable-as-attestation' | 'oversize-attestation' | 'nested-index';

/** Pushes `repo:v1`, an index of a small linux/amd64 image and `big` bytes hidden as `shape` says; returns the index and the hiding manifest. */
export async function pushHostileIndex(target: RawTarget, repo: string, shape: HostileShape, big: number): Promise<{ index: Pushed; small: Pushed; hidden: Pushed }> {
  const small = await pushPlatformImage(target, repo, { seed: `${repo}-small`, platform: 'linux/amd64', layers: [2048] });
  let hidden: Pushed;
  let entries: Descriptor[];
  if (shape === 'nested-index') {
    const inner = await pushPlatformImage(target, repo, { seed: `${repo}-inner`, platform: 'linux/amd64', layers: [big] });
    hidden = await pushIndex(target, repo, undefined, [entry(inner, { platform: { os: 'linux', architecture: 'amd64' } })]);
    entries = [entry(small, { platform: { os: 'linux', architecture: 'amd64' } }), entry(hidden)];
  } else {
    // A filesystem layer behind an attestation's annotations, or a genuine-looking in-toto layer of that size.
    const layerMediaType = shape === 'runnable-as-attestation' ? OCI_LAYER : 'application/vnd.in-toto+json';
    hidden = await pushPlatformImage(target, repo, { seed: `${repo}-att`, platform: 'unknown/unknown', layers: [big], layerMediaType });
    entries = [entry(small, { platform: { os: 'linux', architecture: 'amd64' } }), entry(hidden, attestationOf(small))];
  }
  const index = await pushIndex(target, repo, 'v1', entries);
  return { index, small, hidden };
}
