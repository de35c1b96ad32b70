/**
 * basegate's generic webhook body: `{"image": "<reference>", "tag"?, "digest"?}` (schema.ts). Any
 * system that can sign a body (a CI job, another basegate) can ask for a detect this way; without
 * a tag in `image` or `tag`, every tracked tag of the image is checked. Pushes that match no
 * tracked image are ignored later (match-tracked.ts), so reporting both references of a
 * promotion costs nothing for the one the receiver does not track.
 */
import { InvalidReferenceError } from '../errors';
import { parseReference, type ImageRef } from '../oci/reference';
import { checkPayload, type PushEvent, type WebhookDelivery } from './push-event';
import { badRequest } from './request-rejected';
import { genericPushSchema } from './schema';

/** What the generic endpoint expects, for error messages. */
export const GENERIC_EXPECTED = 'a JSON object {"image": "<registry>/<repository>[:tag]", "tag"?: "<tag>"}';

/** The event basegate's own rebuild webhooks send (rebuild/webhook-trigger.ts). */
const PROMOTED_EVENT = 'base-image-promoted';

/** Reduces a generic body to its push; a `base-image-promoted` event from another basegate also reports its promoted copy (`target` under `tag`). */
export function parseGenericPush(json: unknown): WebhookDelivery {
  const body = checkPayload(genericPushSchema, json, GENERIC_EXPECTED);
  const ref = registryReference('image', body.image);
  const tag = body.tag ?? ref.tag;
  const pushes: PushEvent[] = [{ sender: 'generic', registry: ref.registry, repository: ref.repository, tag, digest: body.digest ?? ref.digest, wholeImage: tag === undefined }];
  if (body.event === PROMOTED_EVENT && body.target !== undefined && body.tag !== undefined) {
    const target = registryReference('target', body.target);
    pushes.push({ sender: 'generic', registry: target.registry, repository: target.repository, tag: body.tag, digest: target.digest });
  }
  return { pushes, ignored: [] };
}

/** Parses one reference field of the body; a 400 naming the field when it is not a registry reference. */
function registryReference(field: 'image' | 'target', value: string): ImageRef {
  let ref: ImageRef;
  try {
    ref = parseReference(value, { defaultTag: false });
  } catch (err) {
    if (err instanceof InvalidReferenceError) throw badRequest('PAYLOAD_INVALID', `${field}: ${err.message}; expected ${GENERIC_EXPECTED}`);
    throw err;
  }
  if (ref.scheme !== 'registry') throw badRequest('PAYLOAD_INVALID', `${field}: ${value} is not a registry reference; expected ${GENERIC_EXPECTED}`);
  return ref;
}
