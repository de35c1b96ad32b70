/** Which token realms may receive a registry's credentials (functions/oci/registry/token-realm.ts). */
import { RegistryError } from '../../functions/errors';
import { checkTokenRealm, type RealmPolicy } from '../../functions/oci/registry/token-realm';

const https = (host: string, tokenRealms: string[] = []): RealmPolicy => ({ host, scheme: 'https', tokenRealms });

describe('checkTokenRealm', () => {
  it.each([
    ['https://auth.docker.io/token', https('registry-1.docker.io')],
    ['https://ghcr.io/token', https('ghcr.io')],
    ['https://quay.io/v2/auth', https('quay.io')],
    ['https://mcr.microsoft.com/oauth2/token', https('mcr.microsoft.com')],
    ['https://contoso.azurecr.io/oauth2/token', https('contoso.azurecr.io')],
    ['https://gitlab.com/jwt/auth', https('registry.gitlab.com')],
    ['https://registry.example.com:5001/auth', https('registry.example.com:5000')],
    ['https://auth.example.com/token', https('registry.example.com', ['auth.example.com'])],
    ['https://auth.example.com:8443/token', https('registry.example.com', ['auth.example.com:8443'])],
    ['http://127.0.0.1:5001/token', { host: '127.0.0.1:5000', scheme: 'http', tokenRealms: [] } as RealmPolicy],
  ])('accepts %s for %j', (realm, policy) => {
    expect(() => checkTokenRealm(new URL(realm), policy)).not.toThrow();
  });

  it.each([
    ['http://auth.docker.io/token', https('registry-1.docker.io'), /over https only/],
    ['http://ghcr.io/token', https('ghcr.io'), /over https only/],
    ['https://auth.docker.io/token', https('ghcr.io'), /auth\.docker\.io is neither the registry's host nor allowed/],
    ['https://evil.example/token', https('registry-1.docker.io'), /evil\.example/],
    ['https://contoso.azurecr.io/oauth2/token', https('fabrikam.azurecr.io'), /contoso\.azurecr\.io/],
    ['https://auth.example.com:9443/token', https('registry.example.com', ['auth.example.com:8443']), /auth\.example\.com:9443/],
    ['https://sub.auth.example.com/token', https('registry.example.com', ['auth.example.com']), /sub\.auth\.example\.com/],
    ['ftp://registry.example.com/token', https('registry.example.com'), /over https only/],
  ])('refuses %s for %j', (realm, policy, message) => {
    let caught: unknown;
    try {
      checkTokenRealm(new URL(realm), policy);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RegistryError);
    expect(caught).toMatchObject({ code: 'AUTH_REALM_REFUSED', temporary: false });
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain(new URL(realm).origin);
  });
});
