/**
 * Key Vault contract fake (loopback HTTPS): `GET /secrets/{name}[/{version}]?api-version=7.4`
 * with a bearer token answers `{ value, id, attributes }`; an unknown secret answers 404
 * `{ error: { code: "SecretNotFound", message } }`; a wrong token 401 `Unauthorized`
 * (https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret). Every request
 * must carry the token and the api-version; anything else is a violation.
 */
import { ContractFake } from './contract-fake';
import { bearerToken, startHttpsContractServer, type HttpsContractServer } from './https-contract-server';

export class KeyVaultContractFake extends ContractFake {
  private readonly secrets = new Map<string, string>();

  private constructor(
    server: HttpsContractServer,
    readonly token: string,
  ) {
    super(server, 'Key Vault contract fake');
  }

  static async start(options: { token?: string } = {}): Promise<KeyVaultContractFake> {
    let fake: KeyVaultContractFake | undefined;
    const server = await startHttpsContractServer({
      name: 'key-vault-contract-fake',
      routes: () => [
        {
          name: 'getSecret',
          method: 'GET',
          path: /^\/secrets\/([0-9a-zA-Z-]+)(?:\/([0-9a-zA-Z]+))?\/?$/,
          handle: (req, m) => {
            const self = fake!;
            if (req.query.get('api-version') !== '7.4') self.server.violation(`getSecret: api-version ${req.query.get('api-version')}`);
            if (bearerToken(req) !== self.token) return { status: 401, json: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } } };
            const value = self.secrets.get(m[1]);
            if (value === undefined) return { status: 404, json: { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${m[1]} was not found in this key vault.` } } };
            return { status: 200, json: { value, id: `${self.url}/secrets/${m[1]}/${m[2] ?? '0123456789abcdef0123456789abcdef'}`, attributes: { enabled: true } } };
          },
        },
      ],
    });
    fake = new KeyVaultContractFake(server, options.token ?? 'kv-test-token');
    return fake;
  }

  setSecret(name: string, value: string): string {
    this.secrets.set(name, value);
    return `${this.url}/secrets/${name}`;
  }
}
