/**
 * Referrers: the manifests whose `subject` is a digest (signatures, SBOMs, attestations).
 * OCI distribution spec 1.1, "Listing Referrers" and "Referrers Tag Schema":
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 *
 * - `GET /v2/<name>/referrers/<digest>[?artifactType=]` answers an OCI index (paged with
 *   `Link`). A registry that does not support it answers 404 (distribution 2.8 does).
 * - Then the fallback: the tag `<alg>-<hex>` (alg ≤ 32 characters, hex ≤ 64) holds an index
 *   of the referrers, maintained by the clients that push them. A host's 404 is remembered, so
 *   its other subjects go straight to the fallback; a caller that listed the repository's tags
 *   passes them, and a referrers tag not among them is not asked for.
 * - When the registry did not apply the `artifactType` filter (no `OCI-Filters-Applied`),
 *   it is applied here.
 *
 * Cosign, before OCI 1.1, tags signatures, attestations and SBOMs `sha256-<hex>.sig|.att|.sbom`
 * instead; {@link cosignTags} finds those with one HEAD each, for the promoter to copy.
 */
import type { Readable } from 'node:stream';
import { ContentRejectedError, RegistryError } from '../../errors';
import { OCI_INDEX } from '../media-types';
import { ImageRef } from '../reference';
import type { Descriptor, ManifestInfo, ReferrersOptions, Registry } from '../registry-port';
import { indexSchema } from '../schema';
import { header, readAtMost } from './http';
import { nextLink } from './link';
import { isSameOrigin, registryOrigin } from './origin';
import { MAX_MANIFEST_BYTES, manifestGet, manifestHead } from './manifest';
import { checkResponse, type RegistryContext } from './send';

/** Stops a registry that keeps sending `next` links in a loop. */
const MAX_PAGES = 1000;
/**
 * How long a host's 404 on the referrers API is believed: the spec forbids a 404 where the API
 * exists, so the other subjects go straight to the tag schema; a long-lived process asks again
 * after this, in case the registry was upgraded.
 */
const NO_API_REMEMBERED_MS = 60 * 60 * 1000;

/** The referrers tag of a digest: `sha256:abc...` → `sha256-abc...` (spec: alg ≤ 32, hex ≤ 64 characters). */
export function referrersTag(digest: string): string {
  const [alg, hex] = digest.split(':', 2);
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/** Referrers of `ref`'s digest (resolved from its tag when not pinned): the API first, then the tag schema. */
export async function referrers(ctx: RegistryContext, ref: ImageRef, options: ReferrersOptions = {}): Promise<Descriptor[]> {
  const digest = ref.digest ?? (await manifestHead(ctx, ref))?.digest;
  if (digest === undefined) return []; // the subject does not exist, so nothing refers to it
  const subject = ref.withTag(undefined).withDigest(digest);
  const fromApi = (ctx.noReferrersApi.get(subject.host) ?? 0) > Date.now() ? undefined : await referrersApi(ctx, subject, options);
  const found = fromApi ?? (await referrersByTag(ctx, subject, options.tags));
  const filtered = fromApi?.filtered || options.artifactType === undefined ? found.descriptors : found.descriptors.filter((d) => d.artifactType === options.artifactType);
  return filtered;
}

interface Found {
  descriptors: Descriptor[];
  /** The registry applied the artifactType filter itself. */
  filtered: boolean;
}

/** The referrers API's answer; undefined when the registry does not support it (404, or something not an index). */
async function referrersApi(ctx: RegistryContext, subject: ImageRef, options: ReferrersOptions): Promise<Found | undefined> {
  const descriptors: Descriptor[] = [];
  let filtered = true;
  let path = `/v2/${subject.repository}/referrers/${subject.digest}`;
  let query: Record<string, string | undefined> | undefined = { artifactType: options.artifactType };
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.send({ method: 'GET', ref: subject, path, query, headers: { accept: OCI_INDEX } });
    const type = header(res.headers, 'content-type')?.split(';', 1)[0].trim();
    if (page === 0 && (res.status === 404 || (res.status === 200 && type !== OCI_INDEX))) {
      await readAtMost(res.body, 64 * 1024);
      if (res.status === 404) ctx.noReferrersApi.set(subject.host, Date.now() + NO_API_REMEMBERED_MS);
      return undefined;
    }
    await checkResponse(res, 200);
    const index = await readIndex(subject, res.body, `referrers of ${subject}`);
    descriptors.push(...index);
    if (options.artifactType !== undefined && !/\bartifactType\b/.test(header(res.headers, 'oci-filters-applied') ?? '')) filtered = false;
    const next = nextLink(res.headers.link, res.request.url);
    if (!next) return { descriptors, filtered };
    const origin = registryOrigin(ctx.options, subject.host);
    if (!isSameOrigin(next, origin)) {
      throw new RegistryError({ code: 'PROTOCOL', message: `referrers of ${subject}: next page outside the registry (${next.origin}, expected ${origin})`, method: 'GET', url: next.toString(), temporary: false });
    }
    path = next.toString();
    query = undefined;
  }
  throw new RegistryError({ code: 'PROTOCOL', message: `referrers of ${subject}: more than ${MAX_PAGES} pages`, method: 'GET', url: path, temporary: false });
}

async function readIndex(subject: ImageRef, body: Readable, what: string): Promise<Descriptor[]> {
  const { bytes, truncated } = await readAtMost(body, MAX_MANIFEST_BYTES);
  if (truncated) throw new ContentRejectedError('MANIFEST_TOO_LARGE', `${what}: index over ${MAX_MANIFEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ContentRejectedError('MANIFEST_INVALID_JSON', `${what}: the index is not JSON`);
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what} (${subject.name}): not an OCI index`);
  return parsed.data.manifests;
}

/** The index under the referrers tag; empty when there is no such tag (in `tags`, when given) or it is not an index. */
async function referrersByTag(ctx: RegistryContext, subject: ImageRef, tags: ReadonlySet<string> | undefined): Promise<Found> {
  const tag = referrersTag(subject.digest!);
  if (tags && !tags.has(tag)) return { descriptors: [], filtered: false };
  const tagged = ImageRef.of({ registry: subject.registry, repository: subject.repository, tag });
  let manifest;
  try {
    manifest = await manifestGet(ctx, tagged);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) return { descriptors: [], filtered: false };
    throw err;
  }
  // The spec: a tag that holds something other than an index is not a referrers list.
  if (manifest.mediaType !== OCI_INDEX) return { descriptors: [], filtered: false };
  return { descriptors: indexSchema.parse(JSON.parse(manifest.bytes.toString('utf8'))).manifests, filtered: false };
}

/** Suffixes cosign gives the tags of signatures, attestations and SBOMs of `sha256-<hex>`. */
export const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** A cosign-style tag found next to a digest. */
export interface CosignTag {
  /** `sha256-<hex>.sig` and so on. */
  tag: string;
  kind: (typeof COSIGN_SUFFIXES)[number];
  ref: ImageRef;
  info: ManifestInfo;
}

/** Finds `sha256-<hex>.sig|.att|.sbom` tags of `subject`'s digest with one manifest HEAD each (cheap: HEAD is not a pull). */
export async function cosignTags(registry: Pick<Registry, 'manifestHead'>, subject: ImageRef): Promise<CosignTag[]> {
  const digest = subject.pinned().digest!;
  // cosign names tags after sha256 digests only; a sha512 name would pass the 128-character tag limit.
  if (!digest.startsWith('sha256:')) return [];
  const base = digest.replace(':', '-');
  const found = await Promise.all(
    COSIGN_SUFFIXES.map(async (kind) => {
      const tag = `${base}.${kind}`;
      const ref = ImageRef.of({ scheme: subject.scheme, registry: subject.registry, repository: subject.repository, tag });
      const info = await registry.manifestHead(ref);
      return info ? { tag, kind, ref, info } : undefined;
    }),
  );
  return found.filter((f): f is CosignTag => f !== undefined);
}
