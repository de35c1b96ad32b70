/**
 * Whether a tag named from outside (a webhook, `?tag=`) is one basegate tracks for an image, and
 * what to ask detect for. With an explicit `tags:` list, the tag itself. With a tag policy, a tag
 * that passes the policy's filters asks for the whole image: only the full upstream list decides
 * `latest: N`, and detect applies the policy to it.
 */
import { tracksTag } from '../pipeline/fan-out';
import type { TrackedImage } from '../pipeline/tracked-image';

/** Tracked: `tag` is what to pass to requestCheck (undefined: every tracked tag). Untracked: why. */
export type TrackedTag = { tracked: true; tag: string | undefined } | { tracked: false; reason: string };

/** Decides whether `tag` is tracked for `image`. */
export function trackedTag(image: TrackedImage, tag: string): TrackedTag {
  if (tracksTag(image, tag)) return { tracked: true, tag: image.tags ? tag : undefined };
  if (image.tags) return { tracked: false, reason: `tag ${tag} is not tracked for ${image.id} (tracked: ${image.tags.slice(0, 20).join(', ')})` };
  return { tracked: false, reason: `tag ${tag} does not pass the tag policy of ${image.id}` };
}
