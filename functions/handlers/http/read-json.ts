/** Reads a request's JSON body through the size limit (functions/webhooks/bounded-body.ts). */
import type { HttpRequest } from '@azure/functions';
import { MAX_WEBHOOK_BODY, parseJsonBody, readBoundedBody } from '../../webhooks/bounded-body';

/** The raw body bytes, at most `limit`. */
export function readBody(request: HttpRequest, limit = MAX_WEBHOOK_BODY): Promise<Buffer> {
  return readBoundedBody(request.body, request.headers.get('content-length'), limit);
}

/** The body parsed as JSON; `expected` describes the payload for the 400 when it is not. */
export async function readJson(request: HttpRequest, expected: string, limit = MAX_WEBHOOK_BODY): Promise<unknown> {
  return parseJsonBody(await readBody(request, limit), expected);
}
