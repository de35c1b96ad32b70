/**
 * Follows redirects of GET and HEAD (registries send blob downloads to storage with 307/302).
 * The Authorization header stays behind whenever the redirect leaves the origin: a storage
 * URL is pre-signed, and a registry token must never reach another host (RFC 9110 §15.4
 * leaves this to the client; docker and ggcr drop it likewise).
 */
import { redactUrl, RegistryError } from '../../errors';
import { discard, header, type Decorator } from './http';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** More hops than any registry needs (one to storage, perhaps one to a CDN edge). */
const MAX_REDIRECTS = 5;

/** Follows up to 5 redirects of GET and HEAD, dropping `authorization` across origins. */
export function followRedirects(): Decorator {
  return (next) => async (first) => {
    if (first.method !== 'GET' && first.method !== 'HEAD') return next(first);
    let req = first;
    for (let hop = 0; ; hop++) {
      const res = await next(req);
      const location = header(res.headers, 'location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      await discard(res);
      if (hop === MAX_REDIRECTS) {
        throw new RegistryError({ code: 'TOO_MANY_REDIRECTS', message: `${first.method} ${redactUrl(first.url.toString())}: more than ${MAX_REDIRECTS} redirects`, method: first.method, url: first.url.toString(), status: res.status, temporary: false });
      }
      const url = new URL(location, req.url);
      const headers = { ...req.headers };
      if (url.origin !== req.url.origin) delete headers.authorization;
      req = { ...req, url, headers };
    }
  };
}
