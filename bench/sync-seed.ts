/**
 * The upstream of the sync benchmark: 10 repositories × 3 tags, each an amd64 + arm64 index
 * whose platform manifests have 4 layers of 1 MiB, the first a base layer shared by every
 * image (one per platform). Three of the tags can "move" to new content (their own layers new,
 * the base layer the same), and be moved back for the next repetition.
 */
import { mapLimit } from '../functions/map-limit';
import { pushImage, synthImage, type SynthImage } from '../test/helpers/image-synth';
import { rawPushManifest, type RawTarget } from '../test/helpers/raw-registry';

export const LAYER_BYTES = 1024 * 1024;

export interface Tagged {
  repo: string;
  tag: string;
  image: SynthImage;
}

export interface SyncUpstream {
  /** The 30 tags as first seeded. */
  original: Tagged[];
  /** New content for 3 of those tags. */
  moved: Tagged[];
  repos: string[];
}

const BASE_LAYER = { seed: 'bench-sync-base', size: LAYER_BYTES };

function image(seed: string): SynthImage {
  return synthImage({ seed, platforms: ['linux/amd64', 'linux/arm64'], layers: 3, layerSize: LAYER_BYTES, baseLayer: BASE_LAYER });
}

/** Builds the image set (deterministic: same bytes every run). */
export function syncImageSet(repoCount = 10, tags = ['t0', 't1', 't2']): SyncUpstream {
  const repos = Array.from({ length: repoCount }, (_, r) => `src/repo-${String(r).padStart(2, '0')}`);
  const original = repos.flatMap((repo) => tags.map((tag) => ({ repo, tag, image: image(`${repo}:${tag}`) })));
  const moved = [0, 3, 6].map((r, i) => ({ repo: repos[r], tag: tags[i % tags.length], image: image(`${repos[r]}:${tags[i % tags.length]}:moved`) }));
  return { original, moved, repos };
}

/**
 * Pushes every original image under its tag: one image alone first (so the shared base layer
 * exists before anyone else uploads it), then repositories 4 at a time, each one's tags in turn
 * (docker-registry can fail two concurrent uploads of one blob into one repository).
 */
export async function seedUpstream(target: RawTarget, set: SyncUpstream): Promise<void> {
  const [first, ...rest] = set.original;
  await pushImage(target, first.repo, [first.tag], first.image);
  await mapLimit(set.repos, 4, async (repo) => {
    for (const { tag, image } of rest.filter((t) => t.repo === repo)) await pushImage(target, repo, [tag], image);
  });
}

/** Moves the three tags to their new content (blobs first, then the manifests, the tag last). */
export async function moveTags(target: RawTarget, set: SyncUpstream): Promise<void> {
  for (const { repo, tag, image } of set.moved) await pushImage(target, repo, [tag], image);
}

/** Points the three tags back at their original content (the blobs are still there). */
export async function restoreTags(target: RawTarget, set: SyncUpstream): Promise<void> {
  for (const m of set.moved) {
    const first = set.original.find((o) => o.repo === m.repo && o.tag === m.tag)!;
    await rawPushManifest(target, m.repo, m.tag, first.image.mediaType, first.image.bytes);
  }
}

/** Blobs (configs and layers) of a set of images, each digest once, with their sizes. */
export function blobSizes(images: Tagged[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { image: i } of images) for (const [digest, bytes] of i.blobs) out.set(digest, bytes.length);
  return out;
}
