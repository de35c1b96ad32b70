/**
 * Reads one Key Vault secret with a plain HTTPS GET (Key Vault REST API, api-version 7.4:
 * `GET {vault}/secrets/{name}[/{version}]` → `{ value, id, attributes }`,
 * https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret), authorised by an
 * Azure AD token for `https://vault.azure.net/.default` from `@azure/identity`.
 * `@azure/keyvault-secrets` is not a dependency; this is the one call basegate needs.
 *
 * The secret value never appears in errors or logs; the secret id does (it names no secret data).
 */
import { request, type Dispatcher } from 'undici';
import { BasegateError, ConfigError } from '../errors';
import type { TokenCredential } from './azure-credential';

/** Options of {@link getKeyVaultSecret}. */
export interface KeyVaultSecretOptions {
  credential: TokenCredential;
  /** An undici dispatcher (a private CA, a proxy, the tests' loopback fake). */
  dispatcher?: Dispatcher;
  /** Token audience; sovereign clouds use their own. */
  scope?: string;
  timeoutMs?: number;
}

const DEFAULTS = {
  /** The public-cloud Key Vault audience. */
  scope: 'https://vault.azure.net/.default',
  /** The GA version the REST reference documents for get-secret. */
  apiVersion: '7.4',
  /** One small GET; a slow vault is an outage, reported as temporary. */
  timeoutMs: 15_000,
} as const;

/** A parsed secret identifier: the vault origin, the secret name, an optional version. */
export interface KeyVaultSecretId {
  vault: string;
  name: string;
  version?: string;
}

/** Parses `https://{vault}/secrets/{name}[/{version}]`, or throws a {@link ConfigError}. */
export function parseKeyVaultSecretId(secretId: string): KeyVaultSecretId {
  let url: URL;
  try {
    url = new URL(secretId);
  } catch {
    throw new ConfigError(`${JSON.stringify(secretId)} is not a Key Vault secret URL (https://<vault>.vault.azure.net/secrets/<name>)`, { code: 'KEY_VAULT_SECRET_ID_INVALID' });
  }
  const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-zA-Z]{1,64}))?\/?$/.exec(url.pathname);
  if (url.protocol !== 'https:' || !match || url.search || url.username) {
    throw new ConfigError(`${JSON.stringify(secretId)} is not a Key Vault secret URL (https://<vault>.vault.azure.net/secrets/<name>[/<version>])`, { code: 'KEY_VAULT_SECRET_ID_INVALID' });
  }
  return { vault: url.origin, name: match[1], version: match[2] };
}

/** Fetches the secret's current (or pinned) value. */
export async function getKeyVaultSecret(secretId: string, options: KeyVaultSecretOptions): Promise<string> {
  const id = parseKeyVaultSecretId(secretId);
  const scope = options.scope ?? DEFAULTS.scope;
  const token = await options.credential.getToken(scope);
  if (!token) throw new BasegateError('KEY_VAULT_NO_TOKEN', `no Azure AD token for ${scope} (to read ${secretId})`, { temporary: true });
  const url = `${id.vault}/secrets/${id.name}${id.version ? `/${id.version}` : ''}?api-version=${DEFAULTS.apiVersion}`;
  const timeout = options.timeoutMs ?? DEFAULTS.timeoutMs;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' },
      dispatcher: options.dispatcher,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  } catch (err) {
    throw new BasegateError('KEY_VAULT_UNREACHABLE', `Key Vault ${id.vault} could not be reached to read secret ${id.name}: ${(err as Error).message}`, { temporary: true, cause: err });
  }
  const text = await res.body.text();
  if (res.statusCode === 200) {
    const value = (JSON.parse(text) as { value?: unknown }).value;
    if (typeof value !== 'string') throw new BasegateError('KEY_VAULT_BAD_RESPONSE', `Key Vault answered secret ${id.name} without a string value`);
    return value;
  }
  const code = errorCode(text);
  const at = `Key Vault ${id.vault}, secret ${id.name}`;
  if (res.statusCode === 404) throw new BasegateError('KEY_VAULT_SECRET_NOT_FOUND', `${at}: not found${code ? ` (${code})` : ''}`);
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new BasegateError('KEY_VAULT_FORBIDDEN', `${at}: not authorised (${res.statusCode}${code ? `, ${code}` : ''}); the identity needs "Key Vault Secrets User"`);
  }
  const temporary = res.statusCode === 429 || res.statusCode >= 500;
  throw new BasegateError(temporary ? 'KEY_VAULT_UNAVAILABLE' : 'KEY_VAULT_REFUSED', `${at}: answered ${res.statusCode}${code ? ` (${code})` : ''}`, { temporary });
}

function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
