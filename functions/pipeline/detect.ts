/**
 * Detect: find out cheaply whether tracked upstream tags moved.
 *
 * One manifest HEAD per tracked tag (index media types first in Accept, so the digest is the
 * index digest, never one platform's): Docker Hub does not count HEAD as a pull. Tag policies
 * cost one paginated tags list per repository. Unchanged tags cost nothing more. A failure of
 * one tag or image is reported on it and never stops the others.
 */
import { describeError, isTemporary } from '../errors';
import type { ImageRef } from '../oci/reference';
import type { Registry } from '../oci/registry-port';
import type { Clock, StateStore } from './ports';
import { bounded, newTagState, tagKey, type TagState } from './records';
import { updateRecord } from './update-record';
import type { TrackedImage } from './tracked-image';
import { recordTagsTracked } from '../telemetry/metrics';

export type DetectStatus = 'new' | 'changed' | 'unchanged' | 'failed';

/** What detect found for one tracked tag. */
export interface TagCheck {
  imageId: string;
  tag: string;
  /** Source reference with tag. */
  source: ImageRef;
  status: DetectStatus;
  digest?: string;
  previousDigest?: string;
  mediaType?: string;
  /** Why it failed (credential-free), and whether trying later may help. */
  error?: string;
  temporary?: boolean;
  /** The registry answered that the tag does not exist (it may have been deleted upstream). */
  missing?: boolean;
}

export interface DetectDeps {
  registry: Registry;
  state: StateStore;
  clock: Clock;
}

/** How many recent digests keep their first-seen time: cooldowns, and retag protection's "pointed at before" (retag-guard.ts). */
export const FIRST_SEEN_KEPT = 50;

/** Lists the tags to check for an image: explicit, or the policy applied to the upstream list. */
export async function trackedTags(image: TrackedImage, deps: Pick<DetectDeps, 'registry' | 'state'>): Promise<string[]> {
  const candidates = image.tags ? [...image.tags] : image.selectTags!(await deps.registry.tagList(image.source.withTag(undefined)));
  const checked: string[] = [];
  for (const tag of candidates) {
    if (image.isImmutableTag(tag)) {
      const known = await deps.state.get<TagState>('tag', tagKey(image.id, tag));
      if (known?.value.promoted) continue; // immutable and already promoted: never asked about again
    }
    checked.push(tag);
  }
  return checked;
}

/** HEADs one tag upstream and compares it with the state; writes nothing. */
export async function checkTag(image: TrackedImage, tag: string, deps: Pick<DetectDeps, 'registry' | 'state'>): Promise<TagCheck> {
  const source = image.source.withTag(tag);
  const base = { imageId: image.id, tag, source };
  try {
    const [head, known] = await Promise.all([deps.registry.manifestHead(source), deps.state.get<TagState>('tag', tagKey(image.id, tag))]);
    if (!head) return { ...base, status: 'failed', error: `tag ${tag} not found in ${image.source}`, temporary: false, missing: true };
    const previous = known?.value.seenDigest;
    const status: DetectStatus = previous === undefined ? 'new' : previous === head.digest ? 'unchanged' : 'changed';
    return { ...base, status, digest: head.digest, mediaType: head.mediaType, previousDigest: status === 'changed' ? previous : undefined };
  } catch (err) {
    return { ...base, status: 'failed', error: describeError(err), temporary: isTemporary(err) };
  }
}

/** Checks every tracked tag of one image; a tag-list failure fails the image, not the run. */
export async function detectImage(image: TrackedImage, deps: Pick<DetectDeps, 'registry' | 'state'>): Promise<TagCheck[]> {
  let tags: string[];
  try {
    tags = await trackedTags(image, deps);
  } catch (err) {
    return [{ imageId: image.id, tag: '*', source: image.source, status: 'failed', error: `listing tags: ${describeError(err)}`, temporary: isTemporary(err) }];
  }
  recordTagsTracked(image.id, tags.length);
  return Promise.all(tags.map((tag) => checkTag(image, tag, deps)));
}

/** Records what detect saw: the digest, when it was first seen, and an audit entry when it moved. */
export async function recordCheck(image: TrackedImage, check: TagCheck, deps: Pick<DetectDeps, 'state' | 'clock'>, correlationId?: string): Promise<TagState | undefined> {
  if (check.status === 'failed' || !check.digest) return undefined;
  const now = deps.clock.now().toISOString();
  const digest = check.digest;
  const next = await updateRecord<TagState>(deps.state, 'tag', tagKey(image.id, check.tag), (current) => {
    const base: TagState = current ?? newTagState(image, check.tag);
    const firstSeen = base.firstSeen ?? [];
    const seen = firstSeen.some((f) => f.digest === digest) ? firstSeen : bounded([...firstSeen, { digest, at: now }], FIRST_SEEN_KEPT);
    // A tag back upstream after it went missing is what its record says again: promoted, or to be validated.
    const back = base.status === 'upstream-missing' ? { status: base.promoted?.sourceDigest === digest ? ('promoted' as const) : ('new' as const), reason: undefined } : {};
    return { ...base, ...back, seenDigest: digest, checkedAt: now, firstSeen: seen };
  }, (current, next) => check.status === 'unchanged' && current !== undefined && onlyCheckedAtDiffers(current, next));
  if (check.status !== 'unchanged') {
    await deps.state.appendAudit({ at: now, stage: 'detect', subject: check.source.toString(), digest, outcome: check.status, correlationId, detail: check.previousDigest ? { previousDigest: check.previousDigest } : undefined });
  }
  return next;
}

/** True when a tag record changed in nothing but when it was checked: losing that write costs nothing, so it is deferred. */
function onlyCheckedAtDiffers(current: TagState, next: TagState): boolean {
  return JSON.stringify({ ...current, checkedAt: undefined }) === JSON.stringify({ ...next, checkedAt: undefined });
}

/** When the digest was first seen under the tag, from our own record. */
export function firstSeenAt(state: TagState | undefined, digest: string): Date | undefined {
  const at = state?.firstSeen?.find((f) => f.digest === digest)?.at;
  return at ? new Date(at) : undefined;
}
