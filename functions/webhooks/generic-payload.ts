/**
 * basegate's generic webhook body: `{"image": "<reference>", "tag"?, "digest"?}` (schema.ts). Any
 * system that can sign a body (a CI job, another basegate) can ask for a detect this way; without
 * a tag in `image` or `tag`, every tracked tag of the image is checked.
 */
import { InvalidReferenceError } from '../errors';
import { parseReference, type ImageRef } from '../oci/reference';
import { checkPayload, type WebhookDelivery } from './push-event';
import { badRequest } from './request-rejected';
import { genericPushSchema } from './schema';

/** What the generic endpoint expects, for error messages. */
export const GENERIC_EXPECTED = 'a JSON object {"image": "<registry>/<repository>[:tag]", "tag"?: "<tag>"}';

/** Reduces a generic body to one push. */
export function parseGenericPush(json: unknown): WebhookDelivery {
  const body = checkPayload(genericPushSchema, json, GENERIC_EXPECTED);
  let ref: ImageRef;
  try {
    ref = parseReference(body.image, { defaultTag: false });
  } catch (err) {
    if (err instanceof InvalidReferenceError) throw badRequest('PAYLOAD_INVALID', `image: ${err.message}; expected ${GENERIC_EXPECTED}`);
    throw err;
  }
  if (ref.scheme !== 'registry') throw badRequest('PAYLOAD_INVALID', `image: ${body.image} is not a registry reference; expected ${GENERIC_EXPECTED}`);
  const tag = body.tag ?? ref.tag;
  return { pushes: [{ sender: 'generic', registry: ref.registry, repository: ref.repository, tag, digest: body.digest ?? ref.digest, wholeImage: tag === undefined }], ignored: [] };
}
