/**
 * Which URLs a rebuild request may go to. Payloads name internal registries and requests carry
 * tokens or signatures, so plain http is allowed only to loopback (a receiver on the same host,
 * tests) or to a dependent explicitly marked `insecure: true` (issue #6); anything else is refused
 * at construction, before any request. Credentials in the URL are refused too: they would end up
 * in logs and state ids; use `headers` (webhook) or `token`.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../errors';

/**
 * True for `localhost`, 127.0.0.0/8 and `::1`: traffic that never leaves the machine. The same
 * rule as the config's (functions/config/dependent-schema.ts), so a URL the config accepts is
 * never refused here. `*.localhost` names are not included: not every resolver maps them to loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Parses `url` and refuses a scheme other than https (or loopback/insecure http) and embedded credentials. */
export function checkTransportSecurity(url: string, options: { what: string; insecure?: boolean }): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${options.what} is not a valid URL`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  if (parsed.username || parsed.password) {
    throw new ConfigError(`${options.what} must not carry credentials in the URL; use a header or a token`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol !== 'http:') {
    throw new ConfigError(`${options.what} must be an https URL, got ${parsed.protocol}`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  if (isLoopbackHost(parsed.hostname) || options.insecure === true) return parsed;
  throw new ConfigError(
    `${options.what} uses plain http to ${parsed.host}, which is not loopback: use https, or mark the dependent insecure: true`,
    { code: 'REBUILD_INSECURE_URL' },
  );
}
