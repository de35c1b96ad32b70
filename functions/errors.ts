/**
 * One error module with stable codes.
 *
 * Retry logic and the choice between a delay and a poison message read `code` and
 * `temporary`, never the message text. Messages say what was wrong, where, and what was
 * expected; they never carry credentials (URLs are redacted before they get here).
 */

/** Base of every error basegate raises on purpose; `code` is stable and machine-readable. */
export class BasegateError extends Error {
  readonly code: string;
  /** True when the same call may succeed later (throttling, outage): a delay, not a failure. */
  readonly temporary: boolean;

  constructor(code: string, message: string, options: { temporary?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.temporary = options.temporary ?? false;
  }
}

/** An error in an OCI error body (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes). */
export interface OciErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** HTTP statuses that mean "the host is throttled or down, try later". */
const TEMPORARY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
/** OCI error codes that mean the same, whatever the status. */
const TEMPORARY_CODES = new Set(['TOOMANYREQUESTS', 'UNAVAILABLE']);

/** A registry answered with an unexpected status, or broke the protocol. */
export class RegistryError extends BasegateError {
  readonly status: number | undefined;
  readonly method: string;
  /** The request URL without credentials or query secrets. */
  readonly url: string;
  readonly errors: OciErrorEntry[];
  /** Seconds the registry asked us to wait (Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(args: {
    code: string;
    message: string;
    method: string;
    url: string;
    status?: number;
    errors?: OciErrorEntry[];
    retryAfter?: number;
    temporary?: boolean;
    cause?: unknown;
  }) {
    const errors = args.errors ?? [];
    const temporary =
      args.temporary ??
      ((args.status !== undefined && TEMPORARY_STATUSES.has(args.status)) || errors.some((e) => TEMPORARY_CODES.has(e.code)));
    // A registry's error body may echo the request (its Authorization header included): scrubbed here, whoever built the error.
    super(args.code, scrubCredentials(args.message), { temporary, cause: args.cause });
    this.status = args.status;
    this.method = args.method;
    this.url = redactUrl(args.url);
    this.errors = errors.map((e) => ({ code: e.code, ...(e.message === undefined ? {} : { message: scrubCredentials(e.message) }), ...(e.detail === undefined ? {} : { detail: scrubDetail(e.detail) }) }));
    this.retryAfter = args.retryAfter;
  }
}

/** The configuration is wrong: names the file, the path inside it, and what was expected. */
export class ConfigError extends BasegateError {
  readonly file: string | undefined;
  readonly path: string | undefined;
  /** 1-based position in the file, when known. */
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, options: { file?: string; path?: string; line?: number; column?: number; code?: string } = {}) {
    const at = options.file && options.line !== undefined ? `${options.file}:${options.line}:${options.column ?? 1}` : options.file;
    const where = [at, options.path].filter(Boolean).join(': ');
    super(options.code ?? 'CONFIG_INVALID', where ? `${where}: ${message}` : message);
    this.file = options.file;
    this.path = options.path;
    this.line = options.line;
    this.column = options.column;
  }
}

/** A reference string that does not parse; the input is shown redacted ({@link redactReference}) and cut to a readable length. */
export class InvalidReferenceError extends BasegateError {
  constructor(input: string, reason: string) {
    const shown = redactReference(input);
    super('REFERENCE_INVALID', `invalid reference ${JSON.stringify(shown.length > 200 ? `${shown.slice(0, 64)}...` : shown)}: ${reason}`);
  }
}

const VALID_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/**
 * A reference as typed, safe to show: in a reference an `@` may only start a digest, so
 * whatever precedes an `@` that does not start a valid digest may be `user:password` (or a URL's
 * userinfo) and is replaced by `***`. `localhost:5000` and `sha256:abc` look alike, so a
 * malformed digest loses the name before it too: never echoing a password matters more.
 */
export function redactReference(input: string): string {
  for (let at = input.lastIndexOf('@'); at >= 0; at = at === 0 ? -1 : input.lastIndexOf('@', at - 1)) {
    if (!VALID_DIGEST.test(input.slice(at + 1))) return `***${input.slice(at)}`;
  }
  return input;
}

/** Bytes did not match the digest they were fetched or pushed under. Never temporary: refuse and keep nothing. */
export class DigestMismatchError extends BasegateError {
  constructor(what: string, expected: string, actual: string) {
    super('DIGEST_MISMATCH', `${what}: expected digest ${expected}, got ${actual}`);
  }
}

/** Content that basegate refuses to handle (oversize, unknown media type, bad JSON, ...). */
export class ContentRejectedError extends BasegateError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** A gate refused a digest; carries the reasons a person can act on. */
export class GateRejected extends BasegateError {
  readonly reasons: string[];
  constructor(gate: string, reasons: string[]) {
    super('GATE_REJECTED', `gate ${gate} rejected: ${reasons.join('; ')}`);
    this.reasons = reasons;
  }
}

/** Credential-shaped text: Authorization values, JWTs, JSON fields named like secrets. */
const CREDENTIAL_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g, '***'],
  [/("(?:authorization|password|passwd|token|access_token|refresh_token|secret|api[-_]?key)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"***"'],
];

/** Replaces credential-shaped parts of a text (an error body a server sent back) by `***`. */
export function scrubCredentials(text: string): string {
  return CREDENTIAL_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** An OCI error's `detail` (any JSON) with credential-shaped parts scrubbed. */
function scrubDetail(detail: unknown): unknown {
  try {
    return JSON.parse(scrubCredentials(JSON.stringify(detail)));
  } catch {
    return undefined;
  }
}

/** Removes userinfo and token-like query parameters from a URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/token|secret|password|sig|key|code/i.test(key)) u.searchParams.set(key, 'REDACTED');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** True for errors worth a delay and another try (registry throttling or outage, network faults). */
export function isTemporary(err: unknown): boolean {
  if (err instanceof BasegateError) return err.temporary;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** Node and undici network error codes that mean "try again". */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_ABORTED',
]);

/** A short, credential-free description of any thrown value for logs, audit and status. */
export function describeError(err: unknown): string {
  if (err instanceof BasegateError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** The quarantine pull-through cache could not be read (oci/upstream-cache-registry.ts): the stage fails and is retried. */
export const UPSTREAM_CACHE_UNAVAILABLE = 'UPSTREAM_CACHE_UNAVAILABLE';

/** True when `err` says the quarantine cache could not be read: a stage failure, never a gate's verdict (issue #22). */
export function isCacheUnavailable(err: unknown): boolean {
  return err instanceof BasegateError && err.code === UPSTREAM_CACHE_UNAVAILABLE;
}
