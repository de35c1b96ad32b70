/**
 * The one error an HTTP endpoint raises on purpose: it carries the status to answer with, and a
 * message that says what was wrong and what was expected. Anything else that escapes a handler
 * is basegate's own fault (500, or 503 when temporary) and is logged, never blamed on the caller.
 */
import { BasegateError } from '../errors';

/** The caller's request is refused: answered with `status` and `{ error: message, code }`. */
export class RequestRejected extends BasegateError {
  readonly status: number;
  /** Extra response headers (`Allow`, ...). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** 400: the body or a parameter is not what the endpoint takes. */
export function badRequest(code: string, message: string): RequestRejected {
  return new RequestRejected(400, code, message);
}

/** 401: a secret or signature is missing, wrong or stale. */
export function unauthorized(code: string, message: string): RequestRejected {
  return new RequestRejected(401, code, message);
}

/** 404: the image, digest or approval named does not exist. */
export function notFound(code: string, message: string): RequestRejected {
  return new RequestRejected(404, code, message);
}

/** 409: the request is well-formed but conflicts with the state (replayed delivery, decided digest). */
export function conflict(code: string, message: string): RequestRejected {
  return new RequestRejected(409, code, message);
}
