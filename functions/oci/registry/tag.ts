/**
 * Tag lists (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags):
 * pages of `n` tags, continued from the `Link: <...>; rel="next"` header until there is none.
 * A registry that ignores `n` (distribution 2.8 does) answers everything in one page.
 *
 * A listing is bounded: at most `maxTags` tags in all (default 100,000, `registries.<host>.maxTags`),
 * and each page is read only as far as the tags still allowed could reach, so a hostile registry
 * sending endless pages or one huge page costs a bounded amount of memory, then a clear
 * `TAG_LIST_TOO_LONG`. A `next` page must stay on the registry's origin (scheme, host, port).
 */
import { RegistryError } from '../../errors';
import type { ImageRef } from '../reference';
import type { TagListOptions } from '../registry-port';
import { readAtMost } from './http';
import { nextLink } from './link';
import { isSameOrigin, registryOrigin } from './origin';
import { tagListSchema } from './schema';
import { checkResponse, type RegistryContext } from './send';

/** Tags per page: ECR's maximum (and what ggcr uses for it); registries with smaller caps page down themselves. */
export const DEFAULT_TAG_PAGE_SIZE = 1000;
/** A page body is a JSON list of short strings: 16 MiB holds a few hundred thousand tags. */
const PAGE_LIMIT = 16 * 1024 * 1024;
/** Bytes one tag takes in a page at most: 128 characters (the OCI tag grammar), quotes and a comma. */
const TAG_JSON_BYTES = 131;
/** Room for the rest of a page (`{"name": <repository>, "tags": [...]}` and whitespace). */
const PAGE_OVERHEAD = 4096;
/** Stops a registry that keeps sending `next` links in a loop. */
const MAX_PAGES = 10_000;

/** Every tag of `ref`'s repository in the registry's order; [] when the registry says NAME_UNKNOWN. */
export async function tagList(ctx: RegistryContext, ref: ImageRef, options: TagListOptions = {}): Promise<string[]> {
  const pageSize = options.pageSize ?? DEFAULT_TAG_PAGE_SIZE;
  const maxTags = ctx.options.host(ref.host).maxTags;
  const origin = registryOrigin(ctx.options, ref.host);
  const tags = new Set<string>();
  const seen = new Set<string>();
  const tooMany = (url: string): RegistryError =>
    new RegistryError({ code: 'TAG_LIST_TOO_LONG', message: `tag list of ${ref.name}: more than ${maxTags} tags (raise registries["${ref.host}"].maxTags if the repository really has that many)`, method: 'GET', url, temporary: false });
  let path = `/v2/${ref.repository}/tags/list`;
  let query: Record<string, number> | undefined = { n: pageSize };
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ctx.send({ method: 'GET', ref, path, query });
    try {
      await checkResponse(res, 200);
    } catch (err) {
      // NAME_UNKNOWN: a repository with no tags yet (a promotion target before its first push).
      if (page === 0 && err instanceof RegistryError && err.status === 404 && err.errors.some((e) => e.code === 'NAME_UNKNOWN')) return [];
      throw err;
    }
    const url = res.request.url.toString();
    // A page longer than the tags still allowed could make is over the cap: stop reading it there.
    const budget = (maxTags - tags.size + 1) * TAG_JSON_BYTES + PAGE_OVERHEAD;
    const { bytes, truncated } = await readAtMost(res.body, Math.min(PAGE_LIMIT, budget));
    if (truncated && budget < PAGE_LIMIT) throw tooMany(url);
    const parsed = truncated ? undefined : tagListSchema.safeParse(safeJson(bytes));
    if (!parsed?.success) {
      throw new RegistryError({ code: 'PROTOCOL', message: `tag list of ${ref.name}: not a tag list${truncated ? ` (over ${PAGE_LIMIT} bytes)` : ''}`, method: 'GET', url, status: res.status, temporary: false });
    }
    for (const tag of parsed.data.tags ?? []) tags.add(tag);
    if (tags.size > maxTags) throw tooMany(url);
    const next = nextLink(res.headers.link, res.request.url);
    if (!next || seen.has(next.toString())) return [...tags];
    if (!isSameOrigin(next, origin)) {
      throw new RegistryError({ code: 'PROTOCOL', message: `tag list of ${ref.name}: next page outside the registry (${next.origin}, expected ${origin})`, method: 'GET', url: next.toString(), temporary: false });
    }
    seen.add(next.toString());
    path = next.toString();
    query = undefined; // the link carries n and last
  }
  throw new RegistryError({ code: 'PROTOCOL', message: `tag list of ${ref.name}: more than ${MAX_PAGES} pages`, method: 'GET', url: path, temporary: false });
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
