/**
 * Azure Resource Manager failures as basegate errors with stable codes. Decisions (retry later,
 * report a conflict, give up) read `code`, `temporary` and `armCode` — never message text.
 *
 * | code                  | when                                                  | temporary |
 * |-----------------------|-------------------------------------------------------|-----------|
 * | ARM_THROTTLED         | 429 still returned after the SDK's own retries        | yes       |
 * | ARM_UNAVAILABLE       | 408, 5xx after retries                                | yes       |
 * | ARM_UNREACHABLE       | no response (DNS, TLS, connection)                    | yes       |
 * | ARM_TIMEOUT           | basegate's bound on a long-running operation expired  | yes       |
 * | ARM_CONFLICT          | 409                                                   | no        |
 * | ARM_UNAUTHORIZED      | 401, 403 (role missing: see facts.md for the roles)   | no        |
 * | ARM_NOT_FOUND         | 404 (registry, task or run)                           | no        |
 * | ARM_BAD_REQUEST       | other 4xx                                             | no        |
 * | ARM_OPERATION_FAILED  | the operation's status monitor answered `Failed`      | by armCode|
 * | ARM_BAD_RESPONSE      | a success without what the contract promises          | no        |
 *
 * Error body: `{ error: { code, message, details? } }`
 * (https://github.com/cloud-and-ai-microsoft/resource-provider-contract/blob/master/v1.0/common-api-details.md#error-response-content).
 */
import { BasegateError } from '../errors';

/** ARM error codes of a failed operation that mean "try again later". */
const TEMPORARY_ARM_CODES = new Set(['TooManyRequests', 'InternalServerError', 'ServiceUnavailable', 'GatewayTimeout', 'RetryableError', 'OperationTimedOut']);

/** A failed Azure Resource Manager call. */
export class ArmError extends BasegateError {
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** The ARM error code from the body (`Conflict`, `ResourceNotFound`, ...), when given. */
  readonly armCode: string | undefined;
  /** Which call failed (`importImage`, `scheduleRun`, `runs.get`, ...). */
  readonly operation: string;
  /** Seconds ARM asked to wait, when it said. */
  readonly retryAfter: number | undefined;

  constructor(args: { code: string; message: string; operation: string; status?: number; armCode?: string; retryAfter?: number; temporary: boolean; cause?: unknown }) {
    super(args.code, args.message, { temporary: args.temporary, cause: args.cause });
    this.status = args.status;
    this.armCode = args.armCode;
    this.operation = args.operation;
    this.retryAfter = args.retryAfter;
  }
}

/** The shape of the SDK's RestError that basegate reads (duck-typed, as @azure/core-lro does). */
interface RestErrorLike {
  name: 'RestError';
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

function isRestError(err: unknown): err is RestErrorLike {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'RestError';
}

/** The ARM `error` object of a response body, if it has one. */
export function armErrorBody(body: unknown): { code?: string; message?: string } | undefined {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : undefined };
}

/** Maps an SDK error to an {@link ArmError}; anything that is not an SDK error is returned unchanged. */
export function toArmError(err: unknown, operation: string, subject: string): unknown {
  if (err instanceof ArmError || !isRestError(err)) return err;
  const status = err.statusCode;
  const body = parseBody(err.response?.bodyAsText);
  const armCode = armErrorBody(body)?.code ?? (typeof err.code === 'string' && status !== undefined ? err.code : undefined);
  const retryAfter = parseRetryAfter(err.response?.headers.get('retry-after'));
  const detail = armErrorBody(body)?.message ?? err.message;
  const at = `${operation} on ${subject}`;
  const make = (code: string, temporary: boolean, what: string) =>
    new ArmError({ code, message: `${at}: ${what}${armCode ? ` (${armCode})` : ''}: ${detail}`, operation, status, armCode, retryAfter, temporary, cause: err });
  if (status === undefined) return make('ARM_UNREACHABLE', true, 'Resource Manager could not be reached');
  if (status === 429) return make('ARM_THROTTLED', true, 'throttled by Resource Manager (429) after retries');
  if (status === 408 || status >= 500) return make('ARM_UNAVAILABLE', true, `Resource Manager answered ${status}`);
  if (status === 409) return make('ARM_CONFLICT', false, 'conflict (409)');
  if (status === 401 || status === 403) return make('ARM_UNAUTHORIZED', false, `not authorised (${status}); check the identity's role on the registry`);
  if (status === 404) return make('ARM_NOT_FOUND', false, 'not found (404)');
  return make('ARM_BAD_REQUEST', false, `refused (${status})`);
}

/** The error of an operation whose status monitor answered `Failed`. */
export function operationFailed(operation: string, subject: string, body: unknown): ArmError {
  const error = armErrorBody(body);
  return new ArmError({
    code: 'ARM_OPERATION_FAILED',
    message: `${operation} on ${subject} failed${error?.code ? ` (${error.code})` : ''}: ${error?.message ?? 'no error detail in the operation status'}`,
    operation,
    armCode: error?.code,
    temporary: error?.code !== undefined && TEMPORARY_ARM_CODES.has(error.code),
  });
}

function parseBody(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}
