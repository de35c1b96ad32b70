/**
 * The one HTTP call of every rebuild trigger (webhook, GitHub dispatch, Azure Pipelines): one
 * POST with a deadline, no redirects followed (a redirect could carry a signed body or a token
 * elsewhere), no retries (the rebuild stage retries through the queue, with backoff, and records
 * each attempt), and one mapping from status or network fault to a `RebuildTriggerError`:
 *
 * - 2xx (or what `ok` accepts) → the response;
 * - 429 → `REBUILD_THROTTLED`; 408, 5xx → `REBUILD_UNAVAILABLE`: temporary, with Retry-After;
 * - 401, 403 → `REBUILD_UNAUTHORIZED`; other statuses → `REBUILD_REJECTED`: permanent;
 * - timeout, abort, network faults → temporary; untrusted TLS certificate → permanent.
 *
 * Error messages show a redacted URL and a short excerpt of the receiver's answer with every
 * known secret scrubbed out, so that no credential reaches logs, audit or status.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { ConfigError } from '../errors';
import type { DependentKind } from './rebuild-trigger';
import { RebuildTriggerError, type RebuildTriggerErrorCode } from './rebuild-trigger-error';

/** Transport options shared by the HTTP triggers. */
export interface HttpOptions {
  /** undici dispatcher to send through (a proxy agent, a shared pool); the caller owns and closes it. */
  dispatcher?: Dispatcher;
  /** Extra CA certificates (PEM) to trust, e.g. a receiver's private CA; the trigger builds and owns an Agent for them. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Deadline of the whole request (connect, send, answer), in milliseconds. */
  timeoutMs?: number;
  /** `User-Agent` header. */
  userAgent?: string;
}

/** {@link HttpOptions} with defaults filled in. */
export interface ResolvedHttpOptions {
  dispatcher: Dispatcher | undefined;
  /** Closes the dispatcher built here (from `ca`), once; a caller's own dispatcher is left open. */
  close(): Promise<void>;
  timeoutMs: number;
  userAgent: string;
  maxBodyBytes: number;
}

const DEFAULTS = {
  /** A rebuild hook answers quickly or not at all; 30 s keeps a stuck receiver from holding a queue message long. */
  timeoutMs: 30_000,
  /** GitHub refuses API calls without a User-Agent (docs "Getting started with the REST API"); receivers can tell us apart. */
  userAgent: 'basegate',
  /** Enough for an Azure DevOps run (a few KiB) and an error excerpt; bounded so a hostile receiver cannot fill memory. */
  maxBodyBytes: 256 * 1024,
} as const;

/** Fills in defaults; refuses a dispatcher and a CA together (the CA would be silently ignored) and a bad timeout. */
export function resolveHttpOptions(options: HttpOptions = {}): ResolvedHttpOptions {
  if (options.dispatcher && options.ca) {
    throw new ConfigError('give either a dispatcher or a ca, not both: configure the CA on your dispatcher', { code: 'REBUILD_CONFIG_INVALID' });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  const owned = options.ca ? new Agent({ connect: { ca: options.ca } }) : undefined;
  let closing: Promise<void> | undefined;
  return {
    dispatcher: owned ?? options.dispatcher,
    close: () => (closing ??= owned ? owned.close() : Promise.resolve()),
    timeoutMs,
    userAgent: options.userAgent ?? DEFAULTS.userAgent,
    maxBodyBytes: DEFAULTS.maxBodyBytes,
  };
}

/** Response headers as undici gives them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A non-default reading of a status, e.g. GitHub's rate-limit 403 or Azure DevOps' 203 sign-in page. */
export interface StatusVerdict {
  code: RebuildTriggerErrorCode;
  temporary: boolean;
  retryAfter?: number;
  reason?: string;
}

/** One POST, described as data. */
export interface HttpPostRequest {
  kind: DependentKind;
  url: URL;
  /** Lowercase names; `user-agent` defaults to the resolved options' and may be overridden here. */
  headers: Record<string, string>;
  /** The exact bytes to send (and that a signature covers). */
  body: Buffer;
  signal?: AbortSignal;
  /** Values that must never appear in an error (secrets, tokens, encoded credentials). */
  secrets: readonly string[];
  /** Statuses that count as success; default: any 2xx. */
  ok?: (status: number) => boolean;
  /** Reads a status before the default mapping; returns undefined to keep the default. */
  classify?: (status: number, headers: ResponseHeaders, body: string) => StatusVerdict | undefined;
}

/** A successful answer. */
export interface HttpPostResponse {
  status: number;
  headers: ResponseHeaders;
  body: Buffer;
}

/** Sends one POST and maps any failure to a {@link RebuildTriggerError}. */
export async function httpPost(req: HttpPostRequest, options: ResolvedHttpOptions): Promise<HttpPostResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const where = `${req.kind} POST ${req.url.origin}${req.url.pathname}`;
  const scrub = scrubber(req.secrets);
  let status: number;
  let headers: ResponseHeaders;
  let body: Buffer;
  try {
    req.signal?.throwIfAborted();
    const res = await request(req.url, {
      method: 'POST',
      headers: { 'user-agent': options.userAgent, ...req.headers },
      body: req.body,
      signal,
      dispatcher: options.dispatcher,
    });
    status = res.statusCode;
    headers = res.headers;
    body = await readAtMost(res.body, options.maxBodyBytes);
  } catch (err) {
    throw networkError(err, { req, where, timeoutMs: options.timeoutMs, timedOut: timeout.aborted, scrub });
  }
  if ((req.ok ?? isSuccess)(status)) return { status, headers, body };

  const text = body.toString('utf8');
  const verdict = req.classify?.(status, headers, text) ?? defaultVerdict(status, headers);
  // Scrub before cutting: a secret straddling the cut would otherwise leave its prefix behind.
  const excerpt = verdict.reason ? scrub(verdict.reason) : excerptOf(scrub(text));
  throw new RebuildTriggerError({
    code: verdict.code,
    temporary: verdict.temporary,
    kind: req.kind,
    url: req.url.toString(),
    status,
    retryAfter: verdict.retryAfter,
    message: `${where} answered ${status}${excerpt ? `: ${excerpt}` : ''}`,
  });
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function defaultVerdict(status: number, headers: ResponseHeaders): StatusVerdict {
  const retryAfter = parseRetryAfter(headers['retry-after']);
  if (status === 429) return { code: 'REBUILD_THROTTLED', temporary: true, retryAfter };
  if (status === 408 || status >= 500) return { code: 'REBUILD_UNAVAILABLE', temporary: true, retryAfter };
  if (status === 401 || status === 403) return { code: 'REBUILD_UNAUTHORIZED', temporary: false };
  return { code: 'REBUILD_REJECTED', temporary: false };
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP-date, RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** TLS verification failures: retrying cannot help until someone configures the CA. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function networkError(
  err: unknown,
  ctx: { req: HttpPostRequest; where: string; timeoutMs: number; timedOut: boolean; scrub: (s: string) => string },
): RebuildTriggerError {
  const base = { kind: ctx.req.kind, url: ctx.req.url.toString() };
  if (ctx.req.signal?.aborted) {
    return new RebuildTriggerError({ ...base, code: 'REBUILD_ABORTED', temporary: true, message: `${ctx.where} was aborted by the caller` });
  }
  if (ctx.timedOut) {
    return new RebuildTriggerError({ ...base, code: 'REBUILD_TIMEOUT', temporary: true, message: `${ctx.where} got no answer within ${ctx.timeoutMs} ms` });
  }
  const code = causeCode(err);
  const detail = ctx.scrub(`${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
  if (code && TLS_CODES.has(code)) {
    return new RebuildTriggerError({
      ...base,
      code: 'REBUILD_TLS',
      temporary: false,
      message: `${ctx.where} failed: the receiver's certificate is not trusted (${detail}); configure its CA`,
    });
  }
  // Kept as `cause` only when it is a plain network error: its message was checked above to hold no secret.
  return new RebuildTriggerError({ ...base, code: 'REBUILD_NETWORK', temporary: true, message: `${ctx.where} failed: ${detail}`, cause: code ? err : undefined });
}

/** The most specific code of an error or of its causes (undici wraps socket errors in `UND_ERR_SOCKET`). */
function causeCode(err: unknown): string | undefined {
  let found: string | undefined;
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (code !== 'UND_ERR_SOCKET') return code;
    found = code;
  }
  return found;
}

async function readAtMost(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size >= limit) continue; // drain the rest so the connection can be reused
    chunks.push(chunk.subarray(0, limit - size));
    size += Math.min(chunk.length, limit - size);
  }
  return Buffer.concat(chunks);
}

/** The start of an error body, on one line: enough to show the receiver's reason. */
function excerptOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Replaces every occurrence of each secret (and its URL-encoded form) with `***`. */
function scrubber(secrets: readonly string[]): (s: string) => string {
  const needles = [...new Set(secrets.flatMap((s) => (s ? [s, encodeURIComponent(s)] : [])))].sort((a, b) => b.length - a.length);
  return (s) => needles.reduce((acc, n) => acc.split(n).join('***'), s);
}
