/**
 * `POST /api/images/{image}/check[?tag=TAG]`: forces a detect of one tracked image (or one of its
 * tags), coalesced with webhook requests for the same (image, tag) (request-detects.ts): a detect
 * already scheduled to run after now covers it.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { badRequest } from '../../webhooks/request-rejected';
import { trackedTag } from '../../webhooks/tracked-tag';
import { decodeRouteValue, findTrackedImage } from './find-tracked-image';
import { jsonResponse, respond } from './http-response';
import type { HttpRuntime } from './register-http-routes';
import { requestDetects } from './request-detects';

/** Requests the detect; 202 with the correlation id (or the detect that covers it), 404 for an unknown image, 400 for an untracked tag. */
export async function checkImage(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const image = findTrackedImage(runtime.images, decodeRouteValue(request.params.image ?? ''));
    const asked = request.query.get('tag');
    let tag: string | undefined;
    if (asked !== null) {
      const decided = trackedTag(image, asked);
      if (!decided.tracked) throw badRequest('TAG_NOT_TRACKED', `${decided.reason}; expected ?tag= to name a tracked tag, or no tag for all of them`);
      tag = decided.tag;
    }
    const [requested] = await requestDetects(runtime, [{ imageId: image.id, tag }], 'http:check', context);
    return jsonResponse(202, requested);
  });
}
