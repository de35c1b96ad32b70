/**
 * The error every HTTP rebuild trigger throws. Codes are stable; `temporary` says "delay and
 * retry" (408, 429, 5xx, network faults, timeouts) versus "report as failed" (other 4xx, bad
 * answers). Messages carry a redacted URL and never a secret, token or signature key.
 */
import { BasegateError, redactUrl } from '../errors';
import type { DependentKind } from './rebuild-trigger';

/** Stable codes of {@link RebuildTriggerError}. */
export type RebuildTriggerErrorCode =
  /** 429, or a throttle in disguise (GitHub's 403 with `x-ratelimit-remaining: 0`). Temporary. */
  | 'REBUILD_THROTTLED'
  /** 408 or 5xx. Temporary. */
  | 'REBUILD_UNAVAILABLE'
  /** 401/403, or Azure DevOps' 203 sign-in page. Permanent: a person must fix the credential. */
  | 'REBUILD_UNAUTHORIZED'
  /** Any other non-success status (4xx, 3xx). Permanent. */
  | 'REBUILD_REJECTED'
  /** A success status whose body is not what the contract says (no run id). Permanent. */
  | 'REBUILD_BAD_RESPONSE'
  /** Connection refused/reset, DNS, socket closed. Temporary. */
  | 'REBUILD_NETWORK'
  /** The receiver's certificate is not trusted. Permanent: configure its CA. */
  | 'REBUILD_TLS'
  /** No answer within the timeout. Temporary. */
  | 'REBUILD_TIMEOUT'
  /** The caller's signal aborted the request. Temporary. */
  | 'REBUILD_ABORTED'
  /** The payload breaks the receiver's documented limits (GitHub's 10 client_payload keys). Permanent. */
  | 'REBUILD_PAYLOAD_INVALID';

/** A rebuild request failed; `kind`, `status`, redacted `url` and `retryAfter` say how. */
export class RebuildTriggerError extends BasegateError {
  override readonly code: RebuildTriggerErrorCode;
  readonly kind: DependentKind;
  readonly status: number | undefined;
  /** The request URL without userinfo or token-like query parameters. */
  readonly url: string;
  /** Seconds the receiver asked us to wait (Retry-After, GitHub's x-ratelimit-reset), when it said. */
  readonly retryAfter: number | undefined;

  constructor(args: {
    code: RebuildTriggerErrorCode;
    message: string;
    kind: DependentKind;
    url: string;
    temporary: boolean;
    status?: number;
    retryAfter?: number;
    cause?: unknown;
  }) {
    super(args.code, args.message, { temporary: args.temporary, cause: args.cause });
    this.code = args.code;
    this.kind = args.kind;
    this.url = redactUrl(args.url);
    this.status = args.status;
    this.retryAfter = args.retryAfter;
  }
}
