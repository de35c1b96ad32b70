/**
 * Pagination by `Link` header (RFC 8288), as the distribution spec uses it for tag lists and
 * referrers: `Link: </v2/<name>/tags/list?n=40&last=b>; rel="next"`, relative or absolute.
 */

/** The `rel="next"` target of a Link header, resolved against the request URL; undefined at the last page. */
export function nextLink(value: string | string[] | undefined, base: URL): URL | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  for (const match of text.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rels = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(match[2])?.[1].toLowerCase().split(/\s+/) ?? [];
    if (rels.includes('next')) return new URL(match[1], base);
  }
  return undefined;
}
