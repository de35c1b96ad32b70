/**
 * One HTTP exchange as data, and the shape every layer of the transport shares: a `Transport`
 * sends an `HttpRequest` and resolves with the response headers and a body stream; a
 * `Decorator` wraps a transport with one behaviour (auth, retry, rate budget, ...), as
 * go-containerregistry stacks `http.RoundTripper`s.
 */
import type { Readable } from 'node:stream';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** Header values as undici returns them (lowercase names). */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/** A request as it travels down the transport stack. */
export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  /** Lowercase header names. Only the auth layer sets `authorization`. */
  headers: Record<string, string>;
  /** A factory, so a retry or an auth refresh can send the body again from its start. */
  body?: () => Readable | Buffer;
  /** The registry host the request belongs to (credentials, limits, rate budget). */
  host: string;
  /** Token scopes the request needs (`repository:library/node:pull`). */
  scopes: string[];
  /** False for a step of an operation that is retried as a whole (an upload session). */
  retry: boolean;
}

/** A response whose body has not been read yet: read it, or `discard()` it to free the connection. */
export interface HttpResponse {
  status: number;
  headers: HttpHeaders;
  body: Readable;
  /** The request that got this response (its final URL after redirects). */
  request: { method: HttpMethod; url: URL };
}

/** Sends one request. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** Adds one behaviour around a transport. */
export type Decorator = (next: Transport) => Transport;

/** The first value of a header, if any. */
export function header(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads at most `limit` bytes of a body; past that the stream is destroyed and `truncated` is true. */
export async function readAtMost(body: Readable, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit - length;
    if (chunk.length > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      body.destroy();
      return { bytes: Buffer.concat(chunks, limit), truncated: true };
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, length), truncated: false };
}

/** Bytes of an unwanted body worth reading to keep the connection alive; past that, closing is cheaper. */
const DISCARD_LIMIT = 64 * 1024;

/** Frees a response's connection: drains a small body, destroys a large one. Never throws. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await readAtMost(res.body, DISCARD_LIMIT);
  } catch {
    // The body is unwanted: a reset while draining it changes nothing for the caller.
    res.body.destroy();
  }
}
