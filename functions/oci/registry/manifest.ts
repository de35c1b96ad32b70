/**
 * Manifests over the Distribution API
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests).
 *
 * - HEAD and GET send the full Accept list, index types first, so that a multi-arch tag
 *   answers with its index and never with one platform picked by the registry.
 * - GET returns the exact bytes, verified against the requested digest, or against the
 *   registry's `Docker-Content-Digest` when fetched by tag.
 * - Hostile registries are refused: a manifest over 4 MiB (the limit distribution and
 *   containerd apply; checked on Content-Length and while reading), bytes that are not JSON
 *   or nest it too deep, an unknown media type, a digest algorithm other than sha256 or sha512.
 */
import { ContentRejectedError, DigestMismatchError } from '../../errors';
import { algorithmOf, digestOf, verifyBytes } from '../digest';
import { checkJsonDepth } from '../manifest-json';
import { isIndex, isKnownManifest, MANIFEST_ACCEPT } from '../media-types';
import { isDigest, type ImageRef } from '../reference';
import type { Manifest, ManifestInfo } from '../registry-port';
import { imageManifestSchema, indexSchema } from '../schema';
import { discard, header, readAtMost, type HttpHeaders } from './http';
import { checkResponse, type RegistryContext } from './send';

/** Largest manifest accepted: 4 MiB, as distribution and containerd (`MaxManifestSize`). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const ACCEPT = MANIFEST_ACCEPT.join(', ');

function manifestPath(ref: ImageRef, reference: string = ref.identifier): string {
  return `/v2/${ref.repository}/manifests/${reference}`;
}

/** The media type of a Content-Type value, without parameters. */
function mediaTypeOf(headers: HttpHeaders): string | undefined {
  return header(headers, 'content-type')?.split(';', 1)[0].trim().toLowerCase() || undefined;
}

/** Checks a digest the registry stated: supported algorithm, well formed. */
function checkStatedDigest(ref: ImageRef, digest: string): string {
  algorithmOf(digest);
  if (!isDigest(digest)) throw new ContentRejectedError('DIGEST_INVALID', `${ref}: the registry stated a malformed digest ${JSON.stringify(digest.slice(0, 140))}`);
  return digest;
}

function checkMediaType(ref: ImageRef, mediaType: string | undefined): string {
  if (mediaType === undefined || !isKnownManifest(mediaType)) {
    throw new ContentRejectedError('MANIFEST_MEDIA_TYPE', `${ref}: manifest media type ${JSON.stringify(mediaType ?? '(none)')} is not an OCI or Docker v2 manifest or index`);
  }
  return mediaType;
}

/** Digest, media type and size of the manifest `ref` names; undefined on 404. Falls back to GET when the registry states no digest. */
export async function manifestHead(ctx: RegistryContext, ref: ImageRef): Promise<ManifestInfo | undefined> {
  if (ref.digest) algorithmOf(ref.digest);
  const res = await ctx.send({ method: 'HEAD', ref, path: manifestPath(ref), headers: { accept: ACCEPT } });
  await discard(res);
  if (res.status === 404) return undefined;
  await checkResponse(res, 200);
  const stated = header(res.headers, 'docker-content-digest');
  const length = Number(header(res.headers, 'content-length'));
  const mediaType = mediaTypeOf(res.headers);
  // Docker-Content-Digest is optional (OCI distribution spec); without it only the bytes tell.
  if (stated === undefined || mediaType === undefined || !Number.isSafeInteger(length)) {
    const { digest, mediaType: type, size } = await manifestGet(ctx, ref);
    return { digest, mediaType: type, size };
  }
  const digest = checkStatedDigest(ref, stated);
  if (ref.digest && digest !== ref.digest) throw new DigestMismatchError(`manifest ${ref}`, ref.digest, digest);
  if (length > MAX_MANIFEST_BYTES) throw tooLarge(ref, length);
  return { digest, mediaType: checkMediaType(ref, mediaType), size: length };
}

function tooLarge(ref: ImageRef, size: number | string): ContentRejectedError {
  return new ContentRejectedError('MANIFEST_TOO_LARGE', `${ref}: manifest of ${size} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`);
}

/** The manifest's exact bytes, verified and checked (size, JSON, media type, schema). */
export async function manifestGet(ctx: RegistryContext, ref: ImageRef): Promise<Manifest> {
  if (ref.digest) algorithmOf(ref.digest);
  const res = await checkResponse(await ctx.send({ method: 'GET', ref, path: manifestPath(ref), headers: { accept: ACCEPT } }), 200);
  const declared = Number(header(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > MAX_MANIFEST_BYTES) {
    res.body.destroy();
    throw tooLarge(ref, declared);
  }
  const { bytes, truncated } = await readAtMost(res.body, MAX_MANIFEST_BYTES);
  if (truncated) throw tooLarge(ref, `more than ${MAX_MANIFEST_BYTES}`);

  const stated = header(res.headers, 'docker-content-digest');
  let digest: string;
  if (ref.digest) {
    verifyBytes(`manifest ${ref}`, bytes, ref.digest);
    digest = ref.digest;
  } else if (stated !== undefined) {
    digest = checkStatedDigest(ref, stated);
    verifyBytes(`manifest ${ref}`, bytes, digest);
  } else {
    digest = digestOf(bytes);
  }
  const mediaType = checkManifestBytes(ref, bytes, mediaTypeOf(res.headers));
  return { digest, mediaType, size: bytes.length, bytes };
}

/** Checks that bytes are a manifest of a known type (the Content-Type, else the `mediaType` field); returns that type. */
export function checkManifestBytes(ref: ImageRef, bytes: Buffer, contentType: string | undefined): string {
  checkJsonDepth(bytes, `${ref}: manifest`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ContentRejectedError('MANIFEST_INVALID_JSON', `${ref}: manifest is not JSON (${(err as Error).message})`);
  }
  const field = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  // Some registries answer `application/json` or nothing for content they store untyped; the document's own field then decides.
  const declared = contentType !== undefined && isKnownManifest(contentType) ? contentType : typeof field === 'string' ? field : contentType;
  const mediaType = checkMediaType(ref, declared);
  if (typeof field === 'string' && field !== mediaType) {
    throw new ContentRejectedError('MANIFEST_MEDIA_TYPE', `${ref}: Content-Type says ${mediaType} but the manifest says ${field}`);
  }
  const parsed = (isIndex(mediaType) ? indexSchema : imageManifestSchema).safeParse(json);
  if (!parsed.success) {
    throw new ContentRejectedError('MANIFEST_INVALID', `${ref}: not a valid ${mediaType}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ').slice(0, 300)}`);
  }
  return mediaType;
}

/** Stores a manifest under `ref`'s tag (or its digest); returns the digest, checked against the registry's. */
export async function manifestPut(ctx: RegistryContext, ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
  if (manifest.bytes.length > MAX_MANIFEST_BYTES) throw tooLarge(ref, manifest.bytes.length);
  const digest = digestOf(manifest.bytes, ref.digest ? algorithmOf(ref.digest) : 'sha256');
  if (ref.digest && ref.digest !== digest) throw new DigestMismatchError(`manifest for ${ref}`, ref.digest, digest);
  checkManifestBytes(ref, manifest.bytes, manifest.mediaType);
  const res = await checkResponse(
    await ctx.send({
      method: 'PUT',
      ref,
      path: manifestPath(ref, ref.tag ?? digest),
      headers: { 'content-type': manifest.mediaType },
      body: () => manifest.bytes,
      expectedLength: manifest.bytes.length,
    }),
    201,
  );
  await discard(res);
  const stated = header(res.headers, 'docker-content-digest');
  if (stated !== undefined && stated !== digest && algorithmOf(stated) === algorithmOf(digest)) {
    throw new DigestMismatchError(`manifest pushed to ${ref}`, digest, stated);
  }
  return digest;
}

/** Deletes the manifest `ref` names (its digest, else its tag); a manifest already gone counts as deleted. */
export async function manifestDelete(ctx: RegistryContext, ref: ImageRef): Promise<void> {
  const res = await ctx.send({ method: 'DELETE', ref, path: manifestPath(ref) });
  // 404: already gone, which is what the caller wants (deletes are retried by queues).
  await checkResponse(res, 200, 202, 204, 404);
  await discard(res);
}
