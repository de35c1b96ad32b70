/**
 * Where a registry's credentials may go: its own origin (scheme, host and port, RFC 6454), so a
 * registry-supplied URL (an upload `Location`, a `Link` page, a redirect) on the same host but
 * over plain http, or on another port, never carries them.
 */
import type { ResolvedRegistryClientOptions } from './options';

/** The origin basegate reaches `host` at: `https://ghcr.io`, `http://127.0.0.1:5000`. */
export function registryOrigin(options: ResolvedRegistryClientOptions, host: string): string {
  return new URL(`${options.host(host).scheme}://${host}`).origin;
}

/** True when `url` is on `origin` exactly (scheme, host and port; a default port is the same as none). */
export function isSameOrigin(url: URL, origin: string): boolean {
  return url.origin === origin;
}
