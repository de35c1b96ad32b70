/**
 * Finds the tracked image a URL path segment names. Image ids contain `/` (`docker.io/library/node→base/node`),
 * so clients percent-encode them; the Functions host (ASP.NET Core routing) leaves `%2F` encoded in
 * route values, so the value is decoded once here. Besides the exact id, a reference naming the
 * source of exactly one image (`node`, `docker.io/library/node`) is accepted.
 */
import { InvalidReferenceError } from '../../errors';
import type { ConfiguredImage } from '../../config/tracked-images';
import { parseReference } from '../../oci/reference';
import { notFound } from '../../webhooks/request-rejected';

/** Decodes a route value once; a value that is not valid percent-encoding is taken as it is. */
export function decodeRouteValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The image `name` identifies (already decoded); a 404 listing the tracked ids when none or several do. */
export function findTrackedImage(images: readonly ConfiguredImage[], name: string): ConfiguredImage {
  const exact = images.find((i) => i.id === name);
  if (exact) return exact;
  let bySource: ConfiguredImage[] = [];
  try {
    const ref = parseReference(name, { defaultTag: false });
    if (ref.tag === undefined && ref.digest === undefined) bySource = images.filter((i) => i.source.name === ref.name);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
  }
  if (bySource.length === 1) return bySource[0];
  const ids = images.map((i) => i.id);
  const listed = `${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`;
  const why = bySource.length > 1 ? `${name} is the source of ${bySource.length} images; name one by its id` : `no tracked image has the id or source ${JSON.stringify(name.slice(0, 300))}`;
  throw notFound('IMAGE_NOT_FOUND', `${why} (tracked: ${listed || 'none'}); expected a URL-encoded image id`);
}
