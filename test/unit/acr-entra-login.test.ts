/**
 * The Entra ID login's decisions that need no server: which hosts it answers for, the chain's
 * precedence, the anonymous fallback (with one warning) when no Azure credential exists, the
 * realm it refuses to send an Entra token to, and token lifetimes from JWT `exp`.
 */
import { CredentialUnavailableError } from '@azure/identity';
import { AcrEntraLogin, isCredentialUnavailable } from '../../functions/azure/acr-entra-login';
import { acrCloudOf, acrScopeFor } from '../../functions/azure/acr-login-servers';
import { registryCredentials } from '../../functions/azure/registry-credentials';
import { jwtExpiresAt, tokenLifetimeMs } from '../../functions/oci/registry/token-response';
import { staticCredential } from '../helpers/static-credential';

const unavailable = { getToken: async () => Promise.reject(new CredentialUnavailableError('Please run az login')) };

describe('ACR login servers', () => {
  it.each([
    ['contoso.azurecr.io', 'https://containerregistry.azure.net/.default'],
    ['Contoso.AzureCR.io', 'https://containerregistry.azure.net/.default'],
    ['contoso.azurecr.cn', 'https://containerregistry.azure.cn/.default'],
    ['contoso.azurecr.us', 'https://containerregistry.azure.us/.default'],
  ])('%s logs in with %s', (host, scope) => {
    expect(acrCloudOf(host)).toBeDefined();
    expect(acrScopeFor(host)).toBe(scope);
  });

  it.each(['azurecr.io', 'ghcr.io', 'registry-1.docker.io', 'contoso.azurecr.io.evil.example', '127.0.0.1:5000'])('%s is not an ACR login server', (host) => {
    expect(acrCloudOf(host)).toBeUndefined();
  });
});

describe('AcrEntraLogin', () => {
  it('answers for ACR login servers only, and falls back to anonymous with one warning when no Azure credential exists', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const login = new AcrEntraLogin({ credential: () => unavailable, warn: (_m, meta) => warnings.push(meta) });
    const implicit = login.implicitProvider();
    expect(await implicit.credentialFor('ghcr.io')).toBeUndefined();
    expect(await implicit.credentialFor('contoso.azurecr.io')).toEqual({ kind: 'anonymous' });
    expect(await implicit.credentialFor('contoso.azurecr.io')).toEqual({ kind: 'anonymous' });
    expect(warnings).toEqual([{ registry: 'contoso.azurecr.io', reason: 'Please run az login' }]);
  });

  it('fails a registry configured with auth: azure when no credential exists, instead of going anonymous', async () => {
    const login = new AcrEntraLogin({ credential: () => unavailable, hosts: { 'registry.contoso.example': {} } });
    const credential = await login.configuredProvider().credentialFor('registry.contoso.example');
    expect(credential?.kind).toBe('refresh-token');
    const challenge = { host: 'registry.contoso.example', realm: new URL('https://registry.contoso.example/oauth2/token'), service: 'registry.contoso.example' };
    await expect(credential!.kind === 'refresh-token' && credential!.refreshToken(challenge)).rejects.toMatchObject({ code: 'AUTH_AZURE_UNAVAILABLE' });
  });

  it('never sends an Entra token to a realm on another host, or over plain http to a remote host', async () => {
    const aad = staticCredential('entra-token');
    const login = new AcrEntraLogin({ credential: () => aad });
    const credential = await login.implicitProvider().credentialFor('contoso.azurecr.io');
    const refresh = credential!.kind === 'refresh-token' ? credential!.refreshToken.bind(credential) : undefined;
    for (const realm of ['https://evil.example/oauth2/token', 'http://contoso.azurecr.io/oauth2/token']) {
      await expect(refresh!({ host: 'contoso.azurecr.io', realm: new URL(realm), service: 'contoso.azurecr.io' })).rejects.toMatchObject({ code: 'AUTH_REALM_UNTRUSTED' });
    }
  });

  it('recognises "no credential" errors of a single credential and of a whole chain', () => {
    expect(isCredentialUnavailable(new CredentialUnavailableError('x'))).toBe(true);
    expect(isCredentialUnavailable({ name: 'AggregateAuthenticationError', errors: [new CredentialUnavailableError('a'), { name: 'CredentialUnavailableError' }] })).toBe(true);
    expect(isCredentialUnavailable({ name: 'AggregateAuthenticationError', errors: [{ name: 'AuthenticationError' }] })).toBe(false);
    expect(isCredentialUnavailable(new Error('ECONNRESET'))).toBe(false);
  });
});

describe('the credential chain of the composition roots', () => {
  it('takes registries: first (username, auth: anonymous, auth: azure), then the app settings, then Entra ID for other ACRs', async () => {
    const { chain } = registryCredentials({
      registries: {
        'docker.io': { username: 'hub-user', password: 'hub-token' },
        'public.azurecr.io': { auth: 'anonymous' },
        'private.example': { auth: 'azure' },
      },
      password: async (_h, r) => r.password!,
      settings: [{ name: 'settings', credentialFor: async (host) => (host === 'ghcr.io' ? { kind: 'token', token: 'gh' } : undefined) }],
      login: { credential: () => staticCredential('t') },
    });
    expect(await chain.credentialFor('registry-1.docker.io')).toEqual({ kind: 'basic', username: 'hub-user', password: 'hub-token' });
    expect(await chain.credentialFor('public.azurecr.io')).toEqual({ kind: 'anonymous' });
    expect((await chain.credentialFor('private.example'))?.kind).toBe('refresh-token');
    expect(await chain.credentialFor('ghcr.io')).toEqual({ kind: 'token', token: 'gh' });
    expect((await chain.credentialFor('other.azurecr.io'))?.kind).toBe('refresh-token');
    expect(await chain.credentialFor('quay.io')).toBeUndefined();
  });
});

describe('token lifetimes', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

  it('uses expires_in, else the JWT exp, else 60 s, each less its margin', () => {
    const now = 1_700_000_000_000;
    expect(tokenLifetimeMs('opaque', 300, now)).toBe(290_000);
    expect(jwtExpiresAt(jwt({ exp: now / 1000 + 3600 }))).toBe(now + 3600_000);
    expect(tokenLifetimeMs(jwt({ exp: now / 1000 + 3600 }), undefined, now)).toBe(3590_000);
    expect(tokenLifetimeMs(jwt({ exp: now / 1000 - 5 }), undefined, now)).toBe(0);
    expect(tokenLifetimeMs('opaque', undefined, now)).toBe(54_000);
    expect(jwtExpiresAt('a.b')).toBeUndefined();
  });
});
