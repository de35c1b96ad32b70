/**
 * Matches reported pushes to tracked images: by registry host and repository against each image's
 * source, after the Docker Hub rules of ImageRef (`docker.io`, `index.docker.io` and
 * `registry-1.docker.io` are one registry; a one-component repository is under `library/`).
 * This is the whole defence against request forgery through webhooks: a push that matches
 * nothing becomes an "ignored" entry, and nothing is ever fetched for it. Pushes to a target
 * repository are ignored too: they are basegate's own promotions.
 */
import { ImageRef } from '../oci/reference';
import type { TrackedImage } from '../pipeline/tracked-image';
import type { IgnoredEvent, PushEvent } from './push-event';
import { trackedTag } from './tracked-tag';

/** One detect to request. */
export interface PlannedCheck {
  imageId: string;
  /** Undefined: every tracked tag of the image. */
  tag: string | undefined;
  /** The pushed reference, canonical, for logs and the response. */
  reference: string;
}

/** Plans one detect per (image, tag) that the pushes touch; everything else is ignored with a reason. */
export function matchPushes(images: readonly TrackedImage[], pushes: readonly PushEvent[]): { checks: PlannedCheck[]; ignored: IgnoredEvent[] } {
  const checks = new Map<string, PlannedCheck>();
  const ignored: IgnoredEvent[] = [];
  for (const push of pushes) {
    let ref: ImageRef;
    try {
      ref = ImageRef.of({ registry: push.registry, repository: push.repository, tag: push.tag });
    } catch (err) {
      ignored.push({ event: `${push.sender} ${push.registry}/${push.repository}`.slice(0, 300), reason: `not a valid image reference: ${(err as Error).message}` });
      continue;
    }
    const reference = ref.toString();
    const matches = images.filter((i) => i.source.scheme === 'registry' && i.source.name === ref.name);
    if (matches.length === 0) {
      ignored.push({ event: reference, reason: `untracked: ${ref.name} is not the source of any tracked image; nothing is fetched` });
      continue;
    }
    if (push.tag === undefined && !push.wholeImage) {
      ignored.push({ event: `${reference}${push.digest ? `@${push.digest}` : ''}`, reason: 'pushed by digest only: the tag push that follows triggers the detect' });
      continue;
    }
    for (const image of matches) {
      const decided = push.tag === undefined ? { tracked: true as const, tag: undefined } : trackedTag(image, push.tag);
      if (!decided.tracked) {
        ignored.push({ event: reference, reason: decided.reason });
        continue;
      }
      if (checks.has(`${image.id}\n*`)) continue;
      if (decided.tag === undefined) for (const k of [...checks.keys()]) if (k.startsWith(`${image.id}\n`)) checks.delete(k);
      checks.set(`${image.id}\n${decided.tag ?? '*'}`, { imageId: image.id, tag: decided.tag, reference });
    }
  }
  return { checks: [...checks.values()], ignored };
}
