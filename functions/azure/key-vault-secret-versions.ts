/**
 * The version of a Key Vault secret that the current one replaced, for rotation without a gap
 * (issue #15): rotating a webhook secret is one `az keyvault secret set` (a new version); the
 * sender is updated afterwards, and until then its deliveries carry the previous value. Listing
 * versions is `GET {vault}/secrets/{name}/versions?api-version=7.4` → `{ value: [{ id,
 * attributes: { enabled, created, exp?, nbf? } }], nextLink }`
 * (https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions),
 * allowed by Key Vault Secrets User (secrets/readMetadata). Values are never read here: the
 * caller resolves the returned version-pinned id like any secret.
 */
import { request } from 'undici';
import { BasegateError } from '../errors';
import { parseKeyVaultSecretId, type KeyVaultSecretOptions } from './key-vault-secret';

const DEFAULTS = {
  scope: 'https://vault.azure.net/.default',
  apiVersion: '7.4',
  timeoutMs: 15_000,
  /** A secret rotated more often than 25 × this many times is not a webhook secret. */
  maxPages: 8,
} as const;

/** One listed version (times in ms). */
interface Version {
  id: string;
  enabled: boolean;
  created: number;
  expires?: number;
  notBefore?: number;
}

/**
 * The id (with version) of the previous value of `secretId`, while it may still be accepted: the
 * current version is younger than `graceMs`, and the previous one is enabled, started and not
 * expired (an operator ends the grace early by disabling it). Undefined otherwise, and for an id
 * pinned to a version (nothing rotates under a pinned id).
 */
export async function previousSecretVersion(secretId: string, options: KeyVaultSecretOptions, now: Date, graceMs: number): Promise<string | undefined> {
  const id = parseKeyVaultSecretId(secretId);
  if (id.version) return undefined;
  const versions = (await listVersions(id.vault, id.name, options)).sort((a, b) => b.created - a.created);
  const usable = (v: Version) => v.enabled && (v.notBefore === undefined || v.notBefore <= now.getTime()) && (v.expires === undefined || v.expires > now.getTime());
  const [current, ...older] = versions.filter(usable);
  if (!current || now.getTime() - current.created >= graceMs) return undefined;
  return older[0]?.id;
}

async function listVersions(vault: string, name: string, options: KeyVaultSecretOptions): Promise<Version[]> {
  const scope = options.scope ?? DEFAULTS.scope;
  const token = await options.credential.getToken(scope);
  if (!token) throw new BasegateError('KEY_VAULT_NO_TOKEN', `no Azure AD token for ${scope} (to list versions of secret ${name})`, { temporary: true });
  const timeout = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const out: Version[] = [];
  let url: string | undefined = `${vault}/secrets/${name}/versions?api-version=${DEFAULTS.apiVersion}&maxresults=25`;
  for (let page = 0; url && page < DEFAULTS.maxPages; page++) {
    // nextLink must stay on the vault: the token goes nowhere else.
    if (new URL(url).origin !== vault) throw new BasegateError('KEY_VAULT_BAD_RESPONSE', `Key Vault ${vault} answered a nextLink on another origin (${new URL(url).origin})`);
    let res;
    try {
      res = await request(url, { method: 'GET', headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' }, dispatcher: options.dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
    } catch (err) {
      throw new BasegateError('KEY_VAULT_UNREACHABLE', `Key Vault ${vault} could not be reached to list versions of secret ${name}: ${(err as Error).message}`, { temporary: true, cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      const temporary = res.statusCode === 429 || res.statusCode >= 500;
      const code = res.statusCode === 404 ? 'KEY_VAULT_SECRET_NOT_FOUND' : res.statusCode === 401 || res.statusCode === 403 ? 'KEY_VAULT_FORBIDDEN' : temporary ? 'KEY_VAULT_UNAVAILABLE' : 'KEY_VAULT_REFUSED';
      throw new BasegateError(code, `Key Vault ${vault}, versions of secret ${name}: answered ${res.statusCode}`, { temporary });
    }
    const body = JSON.parse(text) as { value?: Array<{ id?: unknown; attributes?: Record<string, unknown> }>; nextLink?: unknown };
    for (const v of body.value ?? []) {
      const a = v.attributes ?? {};
      if (typeof v.id !== 'string' || typeof a.created !== 'number') continue;
      out.push({ id: v.id, enabled: a.enabled !== false, created: a.created * 1000, expires: typeof a.exp === 'number' ? a.exp * 1000 : undefined, notBefore: typeof a.nbf === 'number' ? a.nbf * 1000 : undefined });
    }
    url = typeof body.nextLink === 'string' && body.nextLink !== '' ? body.nextLink : undefined;
  }
  return out;
}
