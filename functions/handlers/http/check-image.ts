/** `POST /api/images/{image}/check[?tag=TAG]`: forces a detect of one tracked image (or one of its tags). */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { badRequest } from '../../webhooks/request-rejected';
import { trackedTag } from '../../webhooks/tracked-tag';
import { decodeRouteValue, findTrackedImage } from './find-tracked-image';
import { jsonResponse, respond } from './http-response';
import type { HttpRuntime } from './register-http-routes';

/** Enqueues the detect; 202 with the correlation id, 404 for an unknown image, 400 for an untracked tag. */
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
    const correlationId = randomUUID();
    await runtime.requestCheck({ imageId: image.id, tag, reason: 'http:check', correlationId });
    context.log('http: detect requested', { imageId: image.id, tag: tag ?? '*', correlationId });
    return jsonResponse(202, { imageId: image.id, tag: tag ?? null, correlationId });
  });
}
