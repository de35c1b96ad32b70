/**
 * Tag lists (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags):
 * pages of `n` tags, continued from the `Link: <...>; rel="next"` header until there is none.
 * A registry that ignores `n` (distribution 2.8 does) answers everything in one page.
 */
import { RegistryError } from '../../errors';
import type { ImageRef } from '../reference';
import type { TagListOptions } from '../registry-port';
import { readAtMost } from './http';
import { nextLink } from './link';
import { tagListSchema } from './schema';
import { checkResponse, type RegistryContext } from './send';

/** Tags per page: ECR's maximum (and what ggcr uses for it); registries with smaller caps page down themselves. */
export const DEFAULT_TAG_PAGE_SIZE = 1000;
/** A page body is a JSON list of short strings: 16 MiB holds a few hundred thousand tags. */
const PAGE_LIMIT = 16 * 1024 * 1024;
/** Stops a registry that keeps sending `next` links in a loop. */
const MAX_PAGES = 10_000;

/** Every tag of `ref`'s repository in the registry's order; [] when the registry says NAME_UNKNOWN. */
export async function tagList(ctx: RegistryContext, ref: ImageRef, options: TagListOptions = {}): Promise<string[]> {
  const pageSize = options.pageSize ?? DEFAULT_TAG_PAGE_SIZE;
  const tags = new Set<string>();
  const seen = new Set<string>();
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
    const { bytes, truncated } = await readAtMost(res.body, PAGE_LIMIT);
    const parsed = truncated ? undefined : tagListSchema.safeParse(safeJson(bytes));
    if (!parsed?.success) {
      throw new RegistryError({ code: 'PROTOCOL', message: `tag list of ${ref.name}: not a tag list${truncated ? ` (over ${PAGE_LIMIT} bytes)` : ''}`, method: 'GET', url: res.request.url.toString(), status: res.status, temporary: false });
    }
    for (const tag of parsed.data.tags ?? []) tags.add(tag);
    const next = nextLink(res.headers.link, res.request.url);
    if (!next || seen.has(next.toString())) return [...tags];
    if (next.host !== res.request.url.host) {
      throw new RegistryError({ code: 'PROTOCOL', message: `tag list of ${ref.name}: next page on another host (${next.host})`, method: 'GET', url: next.toString(), temporary: false });
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

