/**
 * Blobs over the Distribution API
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs and #pushing-blobs).
 *
 * - GET streams through a `VerifyingStream`: a wrong byte or length is an error before the
 *   stream ends, so nothing unverified is ever complete. Redirects to storage are followed
 *   without the Authorization header (redirect.ts).
 * - Uploads open a session (POST) and close it with `PUT <location>?digest=`: monolithic
 *   (one PUT with the body) or chunked (PATCH with `Content-Range`, then an empty PUT).
 *   `Location` may be relative or absolute and is resolved against the request it answers.
 *   A session that fails half-way cannot be resumed safely, so an upload is retried as a
 *   whole (POST again), never one step of it.
 * - Mount: `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>`; 201 means mounted,
 *   202 means the registry opened an upload session instead, which is cancelled (DELETE).
 */
import type { Readable } from 'node:stream';
import { ContentRejectedError, DigestMismatchError, RegistryError } from '../../errors';
import { algorithmOf, VerifyingStream } from '../digest';
import { forward } from '../forward-stream';
import type { ImageRef } from '../reference';
import type { BlobPutOptions, Descriptor } from '../registry-port';
import { discard, header, type HttpResponse } from './http';
import { checkResponse, networkError, requestUrl, type RegistryContext } from './send';

type BlobDescriptor = Pick<Descriptor, 'digest' | 'size'>;

function blobPath(ref: ImageRef, digest: string): string {
  return `/v2/${ref.repository}/blobs/${digest}`;
}

/** Size of a blob in `ref`'s repository; undefined on 404. */
export async function blobHead(ctx: RegistryContext, ref: ImageRef, digest: string): Promise<{ size: number } | undefined> {
  algorithmOf(digest);
  const res = await ctx.send({ method: 'HEAD', ref, path: blobPath(ref, digest) });
  await discard(res);
  if (res.status === 404) return undefined;
  await checkResponse(res, 200);
  const size = Number(header(res.headers, 'content-length'));
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RegistryError({ code: 'PROTOCOL', message: `HEAD of blob ${digest} in ${ref.name}: no usable Content-Length`, method: 'HEAD', url: res.request.url.toString(), status: res.status, temporary: false });
  }
  return { size };
}

/** A stream of the blob's bytes that fails, before it ends, when they do not match the descriptor. */
export async function blobGet(ctx: RegistryContext, ref: ImageRef, descriptor: BlobDescriptor): Promise<Readable> {
  const what = `blob ${descriptor.digest} of ${ref.name}`;
  const verifier = new VerifyingStream(what, descriptor.digest, descriptor.size);
  const res = await checkResponse(await ctx.send({ method: 'GET', ref, path: blobPath(ref, descriptor.digest) }), 200);
  const declared = header(res.headers, 'content-length');
  if (declared !== undefined && Number(declared) !== descriptor.size) {
    res.body.destroy();
    throw new ContentRejectedError('SIZE_MISMATCH', `${what}: the registry sends ${declared} bytes, the descriptor declares ${descriptor.size}`);
  }
  // Errors of either side reach the consumer through `verifier`, which forward() destroys with them;
  // a body cut mid-way is first named with its request (registered before forward's listener).
  res.body.once('error', (err) => verifier.destroy(networkError(err, 'GET', res.request.url) as Error));
  forward(res.body, verifier);
  return verifier;
}

/** The session URL a response hands out (`Location`, relative or absolute). */
function location(res: HttpResponse, ref: ImageRef): string {
  const value = header(res.headers, 'location');
  if (!value) {
    throw new RegistryError({ code: 'PROTOCOL', message: `${res.request.method} upload to ${ref.name}: ${res.status} without a Location`, method: res.request.method, url: res.request.url.toString(), status: res.status, temporary: false });
  }
  return new URL(value, res.request.url).toString();
}

/** Opens an upload session; resolves with its URL and the registry's minimum chunk size, if it states one. */
async function startUpload(ctx: RegistryContext, ref: ImageRef): Promise<{ url: string; minChunk: number }> {
  const res = await checkResponse(await ctx.send({ method: 'POST', ref, path: `/v2/${ref.repository}/blobs/uploads/`, retry: false }), 202);
  await discard(res);
  return { url: location(res, ref), minChunk: Number(header(res.headers, 'oci-chunk-min-length')) || 0 };
}

/** Closes a session with `PUT <url>?digest=` (and the last bytes, if any); checks the registry's digest. */
async function finishUpload(ctx: RegistryContext, ref: ImageRef, url: string, descriptor: BlobDescriptor, body?: () => Readable | Buffer, length = 0): Promise<void> {
  const res = await checkResponse(
    await ctx.send({
      method: 'PUT',
      ref,
      path: url,
      query: { digest: descriptor.digest },
      headers: { 'content-type': 'application/octet-stream' },
      body: body ?? (() => Buffer.alloc(0)),
      expectedLength: length,
      retry: false,
    }),
    201,
  );
  await discard(res);
  const stated = header(res.headers, 'docker-content-digest');
  if (stated !== undefined && stated !== descriptor.digest && algorithmOf(stated) === algorithmOf(descriptor.digest)) {
    throw new DigestMismatchError(`blob uploaded to ${ref.name}`, descriptor.digest, stated);
  }
}

/** Uploads a blob, monolithic or in `chunkSize` chunks; the whole upload is retried after a temporary failure. */
export async function blobPut(ctx: RegistryContext, ref: ImageRef, descriptor: BlobDescriptor, body: () => Readable, options: BlobPutOptions = {}): Promise<void> {
  algorithmOf(descriptor.digest);
  if (options.chunkSize !== undefined && !(Number.isInteger(options.chunkSize) && options.chunkSize > 0)) {
    throw new ContentRejectedError('CHUNK_SIZE_INVALID', `chunkSize must be a positive integer, got ${options.chunkSize}`);
  }
  const what = `blob ${descriptor.digest} for ${ref.name}`;
  // Our own source is verified too (unless it verifies itself): a corrupt copy fails here, not as a registry's DIGEST_INVALID.
  const verified = (): Readable => {
    if (options.verifiedBody) return body();
    const verifier = new VerifyingStream(what, descriptor.digest, descriptor.size);
    forward(body(), verifier);
    return verifier;
  };
  const target = requestUrl(ctx.options, { ref, path: `/v2/${ref.repository}/blobs/uploads/` }).toString();
  await ctx.retrying({ method: 'PUT', url: target }, async () => {
    const session = await startUpload(ctx, ref);
    if (options.chunkSize === undefined) {
      await finishUpload(ctx, ref, session.url, descriptor, verified, descriptor.size);
      return;
    }
    const chunkSize = Math.max(options.chunkSize, session.minChunk);
    let url = session.url;
    let offset = 0;
    for await (const chunk of chunks(verified(), chunkSize)) {
      const res = await checkResponse(
        await ctx.send({
          method: 'PATCH',
          ref,
          path: url,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
          body: () => chunk,
          expectedLength: chunk.length,
          retry: false,
        }),
        202,
      );
      await discard(res);
      url = location(res, ref);
      offset += chunk.length;
    }
    await finishUpload(ctx, ref, url, descriptor);
  });
}

/** Splits a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of source as AsyncIterable<Buffer>) {
    let rest = piece;
    while (length + rest.length >= size) {
      const take = size - length;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      rest = rest.subarray(take);
      pending = [];
      length = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      length += rest.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}

/** Mounts `digest` from `from`'s repository into `ref`'s; false when the registry declined (or the hosts differ). */
export async function blobMount(ctx: RegistryContext, ref: ImageRef, digest: string, from: ImageRef): Promise<boolean> {
  algorithmOf(digest);
  if (from.host !== ref.host || from.scheme !== 'registry') return false;
  const res = await ctx.send({
    method: 'POST',
    ref,
    path: `/v2/${ref.repository}/blobs/uploads/`,
    query: { mount: digest, from: from.repository },
    scopes: [`repository:${from.repository}:pull`],
  });
  await checkResponse(res, 201, 202);
  await discard(res);
  if (res.status === 201) return true;
  await cancelUpload(ctx, ref, location(res, ref));
  return false;
}

/** Cancels an upload session the registry opened in place of a mount. */
async function cancelUpload(ctx: RegistryContext, ref: ImageRef, url: string): Promise<void> {
  const res = await ctx.send({ method: 'DELETE', ref, path: url });
  await discard(res);
  // 404: the session is already gone. 401/403/405: the credentials may push but not delete
  // (Docker Hub grants no `delete` scope), or the registry cannot cancel; the abandoned session
  // is purged by the registry (distribution purges uploads older than a week). Anything else is an error.
  if ([401, 403, 404, 405].includes(res.status)) return;
  await checkResponse(res, 200, 202, 204);
}
