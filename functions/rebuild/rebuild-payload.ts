/**
 * The JSON a dependent receives (webhook body, GitHub `client_payload`): exactly the fields of
 * `RebuildEvent`, in a fixed order, copied by name so that nothing else an object might carry at
 * run time leaks to a third party.
 */
import type { RebuildEvent } from '../pipeline/ports';

/** The payload of a rebuild request: the `RebuildEvent` fields, `previousDigest` only when known. */
export function rebuildPayload(event: RebuildEvent): RebuildEvent {
  const payload: RebuildEvent = {
    event: event.event,
    image: event.image,
    tag: event.tag,
    digest: event.digest,
    target: event.target,
    immutableTag: event.immutableTag,
    time: event.time,
  };
  // JSON drops undefined anyway; spelled out so key counts (GitHub's limit of 10) are exact.
  return event.previousDigest === undefined ? payload : { ...payload, previousDigest: event.previousDigest };
}
