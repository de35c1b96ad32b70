/**
 * How every endpoint answers: JSON always; on failure `{error, code}` where `error` says what was
 * wrong and what was expected. A RequestRejected is the caller's fault and keeps its status;
 * anything else is basegate's (503 when it is temporary, such as a queue outage, so the sender
 * retries; 500 otherwise) and is logged with a static message and metadata.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { BasegateError, describeError, isTemporary } from '../../errors';
import { RequestRejected } from '../../webhooks/request-rejected';

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json', ...headers } };
}

/** Maps a thrown value to a response (see the module header). */
export function errorResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  if (err instanceof RequestRejected) {
    context.log('http: request refused', { status: err.status, code: err.code, error: err.message });
    return jsonResponse(err.status, { error: err.message, code: err.code }, err.headers);
  }
  const temporary = isTemporary(err);
  context.error('http: request failed', { error: describeError(err), temporary });
  const code = err instanceof BasegateError ? err.code : 'INTERNAL';
  return jsonResponse(temporary ? 503 : 500, { error: `basegate failed to handle the request: ${describeError(err)}${temporary ? '; retry later' : ''}`, code });
}

/** Runs a handler body and turns whatever it throws into a response. */
export async function respond(context: InvocationContext, body: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await body();
  } catch (err) {
    return errorResponse(err, context);
  }
}
