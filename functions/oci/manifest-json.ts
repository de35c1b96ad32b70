/**
 * Reading a stored manifest's JSON: its media type (the `mediaType` field, or, for OCI
 * documents that omit it, the shape: `manifests` is an index, `config` an image manifest)
 * and the blobs and children it needs present before it may be stored.
 */
import { ContentRejectedError } from '../errors';
import { OCI_INDEX, OCI_MANIFEST, isIndex } from './media-types';
import { imageManifestSchema, indexSchema, type Descriptor } from './schema';

/**
 * Deepest nesting of arrays and objects accepted in a manifest or config. Real documents nest
 * about five deep (index → manifests[] → descriptor → platform → features[]); a hostile one
 * nested thousands deep is refused before anything parses or walks it (distribution's Go
 * decoder stops at 10,000; other consumers of the promoted copy may stop much earlier).
 */
const MAX_JSON_DEPTH = 64;

/** Throws `MANIFEST_TOO_DEEP` when the JSON text nests arrays and objects deeper than {@link MAX_JSON_DEPTH}; one pass, no parsing. */
export function checkJsonDepth(bytes: Uint8Array, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new ContentRejectedError('MANIFEST_TOO_DEEP', `${what} nests JSON more than ${MAX_JSON_DEPTH} levels deep`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** Layer types that are not distributable: their `urls` point elsewhere and registries do not hold them. */
const FOREIGN_LAYER = /\.(foreign|nondistributable)\./;

/** The manifest's JSON object, or a `MANIFEST_INVALID` error. */
export function parseManifestJson(bytes: Buffer, what: string): Record<string, unknown> {
  checkJsonDepth(bytes, what);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ContentRejectedError('MANIFEST_INVALID', `${what} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ContentRejectedError('MANIFEST_INVALID', `${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** The media type a manifest declares, or the one its shape implies. */
export function mediaTypeOf(json: Record<string, unknown>, what: string): string {
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (Array.isArray(json.manifests)) return OCI_INDEX;
  if (typeof json.config === 'object' && json.config !== null) return OCI_MANIFEST;
  throw new ContentRejectedError('MANIFEST_INVALID', `${what} has no mediaType and is neither an index nor an image manifest`);
}

/** Blobs (config, distributable layers) an image manifest needs, and child manifests an index needs. */
export function contentOf(json: Record<string, unknown>, mediaType: string, what: string): { blobs: Descriptor[]; manifests: Descriptor[] } {
  if (isIndex(mediaType)) {
    const index = indexSchema.safeParse(json);
    if (!index.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${index.error.issues[0]?.message}`);
    return { blobs: [], manifests: index.data.manifests };
  }
  const image = imageManifestSchema.safeParse(json);
  if (!image.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${image.error.issues[0]?.message}`);
  const layers = image.data.layers.filter((l) => !(FOREIGN_LAYER.test(l.mediaType) && Array.isArray(l.urls)));
  return { blobs: [image.data.config, ...layers], manifests: [] };
}

/** True for a layer a copy must leave behind (non-distributable, fetched from its `urls`). */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return FOREIGN_LAYER.test(descriptor.mediaType) && Array.isArray(descriptor.urls);
}
