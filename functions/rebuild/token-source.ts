/**
 * A credential given as a value (from config, `${GITHUB_TOKEN}`) or as a function (an Entra
 * token for Azure DevOps from a managed identity, a GitHub App installation token) so that
 * short-lived tokens are fetched per request and never cached here.
 */
import { ConfigError } from '../errors';

/** A token, or a function that returns a fresh one. */
export type TokenSource = string | (() => Promise<string>);

/** Resolves a {@link TokenSource} to its current value; refuses an empty token. */
export async function readToken(source: TokenSource, what: string): Promise<string> {
  const token = typeof source === 'string' ? source : await source();
  if (!token) throw new ConfigError(`${what} is empty`, { code: 'REBUILD_CONFIG_INVALID' });
  return token;
}

/** Refuses an empty static token at construction, before any request. */
export function checkTokenSource(source: TokenSource | undefined, what: string): TokenSource {
  if (source === undefined || source === '') throw new ConfigError(`${what} is required and must not be empty`, { code: 'REBUILD_CONFIG_INVALID' });
  if (typeof source !== 'string' && typeof source !== 'function') throw new ConfigError(`${what} must be a string`, { code: 'REBUILD_CONFIG_INVALID' });
  return source;
}
