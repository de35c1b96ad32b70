/**
 * A tracked tag whose check failed. When the registry says the tag does not exist and basegate
 * saw it before, it was deleted upstream: the tag's status becomes `upstream-missing` (audited
 * once, when it goes missing) and the target keeps what was promoted: nothing is deleted there.
 * The run still reports it as a failure (the CLI exits 1), because someone should look. A tag
 * never seen is a plain `failed` (a typo in the config, a tag not published yet).
 */
import type { TagCheck } from './detect';
import type { Clock, StateStore } from './ports';
import { newTagState, tagKey, type TagState, type TagStatus } from './records';
import type { TrackedImage } from './tracked-image';
import { updateRecord } from './update-record';

/** Records a failed check on the tag; returns the status written and its reason. */
export async function recordFailedCheck(image: TrackedImage, check: TagCheck, deps: { state: StateStore; clock: Clock }, correlationId?: string): Promise<{ status: TagStatus; reason: string }> {
  let outcome = { status: 'failed' as TagStatus, reason: check.error ?? 'check failed' };
  let wentMissing: TagState | undefined;
  await updateRecord<TagState>(deps.state, 'tag', tagKey(image.id, check.tag), (current) => {
    wentMissing = undefined;
    if (check.missing && current?.seenDigest) {
      const kept = current.promoted ? `the target keeps ${current.promoted.immutableTag} (${current.promoted.targetDigest}); nothing is deleted` : 'nothing was promoted from it';
      outcome = { status: 'upstream-missing', reason: `${check.error}: the tag was deleted upstream (last seen at ${current.seenDigest}); ${kept}` };
      if (current.status === 'upstream-missing') return undefined;
      wentMissing = current;
      return { ...current, status: 'upstream-missing', reason: outcome.reason };
    }
    outcome = { status: 'failed', reason: check.error ?? 'check failed' };
    return current ? { ...current, status: 'failed', reason: outcome.reason } : { ...newTagState(image, check.tag, 'failed'), reason: outcome.reason };
  });
  if (wentMissing) {
    await deps.state.appendAudit({ at: deps.clock.now().toISOString(), stage: 'detect', subject: check.source.toString(), digest: wentMissing.seenDigest, outcome: 'upstream-missing', correlationId, detail: { promoted: wentMissing.promoted?.targetDigest } });
  }
  return outcome;
}
