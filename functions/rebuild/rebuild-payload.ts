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
  return {
    ...payload,
    ...(event.previousDigest === undefined ? {} : { previousDigest: event.previousDigest }),
    ...(event.diff === undefined ? {} : { diff: briefOf(event.diff) }),
  };
}

/** The brief's fields by name, as for the event itself. */
function briefOf(d: NonNullable<RebuildEvent['diff']>): NonNullable<RebuildEvent['diff']> {
  return {
    ...(d.from === undefined ? {} : { from: d.from }),
    to: d.to,
    platformsAdded: [...d.platformsAdded],
    platformsRemoved: [...d.platformsRemoved],
    sizeDelta: d.sizeDelta,
    layersAdded: d.layersAdded,
    labels: d.labels.map((l) => ({ field: l.field, ...(l.from === undefined ? {} : { from: l.from }), ...(l.to === undefined ? {} : { to: l.to }) })),
    ...(d.vulnerabilitiesAdded === undefined ? {} : { vulnerabilitiesAdded: { ...d.vulnerabilitiesAdded } }),
  };
}
