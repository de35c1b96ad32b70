/**
 * Key Vault contract fake (loopback HTTPS), api-version 7.4, every request with the bearer token
 * and the api-version (anything else is a violation):
 * - `GET /secrets/{name}[/{version}]` answers `{ value, id, attributes }` for the newest enabled
 *   version (or the one named); an unknown secret or version 404 `SecretNotFound`, a disabled
 *   version 403 `Forbidden` (https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret);
 * - `GET /secrets/{name}/versions[?maxresults=N]` answers `{ value: [{ id, attributes: { enabled,
 *   created, updated, exp? } }], nextLink }`, N (at most 25) per page, values never included
 *   (https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions);
 * - a wrong token 401 `Unauthorized`.
 * Every `setSecret` adds a version, as `az keyvault secret set` does.
 */
import { randomBytes } from 'node:crypto';
import { ContractFake } from './contract-fake';
import { bearerToken, startHttpsContractServer, type HttpsContractServer } from './https-contract-server';

interface SecretVersion {
  version: string;
  value: string;
  enabled: boolean;
  /** Unix seconds, as Key Vault sends them. */
  created: number;
  exp?: number;
}

export class KeyVaultContractFake extends ContractFake {
  private readonly secrets = new Map<string, SecretVersion[]>();

  private constructor(
    server: HttpsContractServer,
    readonly token: string,
  ) {
    super(server, 'Key Vault contract fake');
  }

  static async start(options: { token?: string } = {}): Promise<KeyVaultContractFake> {
    let fake: KeyVaultContractFake | undefined;
    const checked = (req: { query: URLSearchParams }, route: string) => {
      const self = fake!;
      if (req.query.get('api-version') !== '7.4') self.server.violation(`${route}: api-version ${req.query.get('api-version')}`);
      return self;
    };
    const unauthorized = { status: 401, json: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } } };
    const notFound = (name: string) => ({ status: 404, json: { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name} was not found in this key vault.` } } });
    const server = await startHttpsContractServer({
      name: 'key-vault-contract-fake',
      routes: () => [
        {
          name: 'getSecretVersions',
          method: 'GET',
          path: /^\/secrets\/([0-9a-zA-Z-]+)\/versions\/?$/,
          handle: (req, m) => {
            const self = checked(req, 'getSecretVersions');
            if (bearerToken(req) !== self.token) return unauthorized;
            const versions = self.secrets.get(m[1]);
            if (!versions) return notFound(m[1]);
            const max = Math.min(25, Number(req.query.get('maxresults') ?? 25));
            const skip = Number(req.query.get('$skiptoken') ?? 0);
            const page = versions.slice(skip, skip + max);
            const nextLink = skip + max < versions.length ? `${self.url}/secrets/${m[1]}/versions?api-version=7.4&maxresults=${max}&$skiptoken=${skip + max}` : null;
            return { status: 200, json: { value: page.map((v) => ({ id: `${self.url}/secrets/${m[1]}/${v.version}`, attributes: self.attributes(v) })), nextLink } };
          },
        },
        {
          name: 'getSecret',
          method: 'GET',
          path: /^\/secrets\/([0-9a-zA-Z-]+)(?:\/([0-9a-zA-Z]+))?\/?$/,
          handle: (req, m) => {
            const self = checked(req, 'getSecret');
            if (bearerToken(req) !== self.token) return unauthorized;
            const versions = self.secrets.get(m[1]) ?? [];
            const found = m[2] ? versions.find((v) => v.version === m[2]) : [...versions].reverse().find((v) => v.enabled);
            if (!found) return notFound(m[1]);
            if (!found.enabled) return { status: 403, json: { error: { code: 'Forbidden', message: `Operation get is not allowed on a disabled secret.` } } };
            return { status: 200, json: { value: found.value, id: `${self.url}/secrets/${m[1]}/${found.version}`, attributes: self.attributes(found) } };
          },
        },
      ],
    });
    fake = new KeyVaultContractFake(server, options.token ?? 'kv-test-token');
    return fake;
  }

  /** Adds a version (created now, or `createdAt`); returns the secret's unversioned id. */
  setSecret(name: string, value: string, options: { createdAt?: Date; expiresAt?: Date } = {}): string {
    const versions = this.secrets.get(name) ?? [];
    versions.push({ version: randomBytes(16).toString('hex'), value, enabled: true, created: Math.floor((options.createdAt ?? new Date()).getTime() / 1000), exp: options.expiresAt ? Math.floor(options.expiresAt.getTime() / 1000) : undefined });
    this.secrets.set(name, versions);
    return `${this.url}/secrets/${name}`;
  }

  /** The version-pinned id of the newest version (what `az keyvault secret show --query id` prints). */
  latestVersionId(name: string): string {
    const versions = this.secrets.get(name) ?? [];
    return `${this.url}/secrets/${name}/${versions[versions.length - 1].version}`;
  }

  /** Disables every version but the newest (what an operator does to end a rotation early). */
  disableOlderVersions(name: string): void {
    const versions = this.secrets.get(name) ?? [];
    versions.slice(0, -1).forEach((v) => (v.enabled = false));
  }

  private attributes(v: SecretVersion): Record<string, unknown> {
    return { enabled: v.enabled, created: v.created, updated: v.created, recoveryLevel: 'Recoverable+Purgeable', ...(v.exp !== undefined ? { exp: v.exp } : {}) };
  }
}
