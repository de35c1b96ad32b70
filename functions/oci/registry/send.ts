/**
 * A registry call is data (`RegistryRequest`) sent through one `send()`, and every unexpected
 * answer becomes a `RegistryError` in one place, `checkResponse()` (style points 6 and 7,
 * after regclient's reghttp.Req and ggcr's transport.Error). Business code never sets
 * Authorization, never sleeps and never builds an error from a status by hand.
 */
import type { Readable } from 'node:stream';
import { BasegateError, isTemporary, redactUrl, RegistryError, type OciErrorEntry } from '../../errors';
import type { ImageRef } from '../reference';
import { header, readAtMost, type HttpMethod, type HttpResponse, type Transport } from './http';
import type { ResolvedRegistryClientOptions } from './options';
import { parseRetryAfter } from './retry';
import { errorBodySchema } from './schema';

/** One registry call. */
export interface RegistryRequest {
  method: HttpMethod;
  /** The repository the call is about (host, credentials, token scope). */
  ref: ImageRef;
  /** `/v2/...`, or an absolute URL the registry handed out (`Location`, `Link`). */
  path: string;
  /** Added to (or replacing) the URL's query parameters; undefined values are skipped. */
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** A factory: each attempt gets the body from its start. */
  body?: () => Readable | Buffer;
  /** Sent as `content-length`; undici fails the request when the body is not exactly this long. */
  expectedLength?: number;
  /** Token scopes beyond `ref`'s repository (a mount's source). */
  scopes?: string[];
  /** False for a step of an operation retried as a whole (upload sessions). Default true. */
  retry?: boolean;
}

/** Sends a {@link RegistryRequest} through the client's transport. */
export type Send = (request: RegistryRequest) => Promise<HttpResponse>;

/** What the operation modules (manifest, blob, tag, referrers) get from the client. */
export interface RegistryContext {
  send: Send;
  /** Runs a multi-request operation (an upload) again from its start after a temporary failure. */
  retrying<T>(what: { method: string; url: string }, operation: () => Promise<T>): Promise<T>;
  options: ResolvedRegistryClientOptions;
  /** Hosts that answered the referrers API with 404 (it is not there), until when that is believed (ms epoch). */
  noReferrersApi: Map<string, number>;
}

/** Token actions a method needs (distribution's registry/handlers/app.go appendAccessRecords). */
function actionsFor(method: HttpMethod): string {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  if (method === 'DELETE') return 'delete';
  return 'pull,push';
}

/** The URL a request goes to: the host's scheme and the path, plus query parameters. */
export function requestUrl(options: ResolvedRegistryClientOptions, request: Pick<RegistryRequest, 'ref' | 'path' | 'query'>): URL {
  const host = request.ref.host;
  const url = /^https?:\/\//.test(request.path) ? new URL(request.path) : new URL(`${options.host(host).scheme}://${host}${request.path}`);
  for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/** Builds the client's `send`: a request becomes an `HttpRequest` down the transport; network failures become temporary `RegistryError`s. */
export function makeSend(transport: Transport, options: ResolvedRegistryClientOptions): Send {
  return async (request) => {
    const url = requestUrl(options, request);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    if (request.expectedLength !== undefined) headers['content-length'] = String(request.expectedLength);
    const scopes = [`repository:${request.ref.repository}:${actionsFor(request.method)}`, ...(request.scopes ?? [])];
    try {
      return await transport({ method: request.method, url, headers, body: request.body, host: request.ref.host, scopes, retry: request.retry ?? true });
    } catch (err) {
      throw networkError(err, request.method, url);
    }
  };
}

/** Wraps an undici/Node network failure in a `RegistryError` naming the call; basegate's own errors pass unchanged. */
export function networkError(err: unknown, method: string, url: URL): unknown {
  if (err instanceof BasegateError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !isTemporary(err)) return err;
  const timeout = /TIMEOUT/.test(code);
  return new RegistryError({
    code: timeout ? 'TIMEOUT' : 'NETWORK',
    message: `${method} ${redactUrl(url.toString())}: ${code} ${(err as Error).message}`,
    method,
    url: url.toString(),
    temporary: true,
    cause: err,
  });
}

/** Bytes of an error body read at most: enough for any OCI error list, bounded against a hostile host. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Stable `RegistryError` codes by status; the OCI `errors[]` keep the registry's own codes. */
const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  416: 'RANGE_INVALID',
  429: 'TOOMANYREQUESTS',
};

/** The stable error code for an HTTP status. */
export function codeForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'UNAVAILABLE' : `HTTP_${status}`);
}

/** Returns the response when its status is one of `ok`; otherwise reads ≤ 64 KiB of the body and throws a `RegistryError`. */
export async function checkResponse(res: HttpResponse, ...ok: number[]): Promise<HttpResponse> {
  if (ok.includes(res.status)) return res;
  let errors: OciErrorEntry[] = [];
  let text = '';
  try {
    const { bytes } = await readAtMost(res.body, ERROR_BODY_LIMIT);
    text = bytes.toString('utf8');
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) errors = parsed.data.errors;
  } catch {
    // The body is only a hint: a non-JSON or broken body leaves `errors` empty and the status speaks.
  }
  const retryAfterMs = parseRetryAfter(header(res.headers, 'retry-after'));
  const url = res.request.url.toString();
  const detail = errors.length
    ? errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ')
    : text.trim().slice(0, 200).replace(/\s+/g, ' ');
  throw new RegistryError({
    code: codeForStatus(res.status),
    message: `${res.request.method} ${redactUrl(url)} answered ${res.status}${detail ? ` (${detail})` : ''}`,
    method: res.request.method,
    url,
    status: res.status,
    errors,
    retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
  });
}
