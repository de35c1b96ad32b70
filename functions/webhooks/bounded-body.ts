/**
 * Reads a request body without ever holding more than the limit: a declared Content-Length over
 * the limit is refused before a byte is read, and a body that streams past it (chunked, or a
 * lying length) is cancelled at the first chunk that crosses it. Issue #7: 256 KiB for webhooks.
 */
import { badRequest } from './request-rejected';

/** Largest webhook body accepted. Docker Hub, ACR and Event Grid push events are a few KiB; Event Grid batches are capped at 1 MB, but basegate subscribes with one event per delivery. */
export const MAX_WEBHOOK_BODY = 256 * 1024;

/** Reads `body` into one buffer; throws a 400 `BODY_TOO_LARGE` past `limit` bytes. */
export async function readBoundedBody(body: AsyncIterable<Uint8Array> | null, declaredLength: string | null, limit: number): Promise<Buffer> {
  const tooLarge = (size: string) => badRequest('BODY_TOO_LARGE', `request body is ${size} bytes; at most ${limit} bytes (${Math.floor(limit / 1024)} KiB) are accepted`);
  if (declaredLength !== null && /^\d+$/.test(declaredLength.trim()) && Number(declaredLength) > limit) throw tooLarge(declaredLength.trim());
  if (body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (break, throw) cancels the stream: the rest is never read.
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) throw tooLarge(`more than ${limit}`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}

/** Parses a body as UTF-8 JSON; a 400 naming the problem (and what the sender should send) when it is not. */
export function parseJsonBody(bytes: Buffer, expected: string): unknown {
  if (bytes.length === 0) throw badRequest('BODY_EMPTY', `request body is empty; expected ${expected}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('BODY_NOT_UTF8', `request body is not valid UTF-8; expected ${expected}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest('BODY_MALFORMED_JSON', `request body is not valid JSON (${(err as Error).message.slice(0, 200)}); expected ${expected}`);
  }
}
