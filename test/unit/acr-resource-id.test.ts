/** Parsing ACR resource ids, the ARM client options and the secret resolver's environment rules. */
import { acrTaskResourceId, parseAcrResourceId } from '../../functions/azure/acr-resource-id';
import { resolveArmClientOptions } from '../../functions/azure/arm-client';
import { createSecretResolver } from '../../functions/azure/secret-resolver';
import { parseKeyVaultSecretId } from '../../functions/azure/key-vault-secret';
import { staticCredential } from '../helpers/static-credential';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';

describe('parseAcrResourceId', () => {
  it.each([
    [`/subscriptions/${SUB}/resourceGroups/rg-base/providers/Microsoft.ContainerRegistry/registries/contosobase`, 'rg-base', 'contosobase'],
    [`/SUBSCRIPTIONS/${SUB}/resourcegroups/My.Group(1)/providers/microsoft.containerregistry/Registries/Contoso01/`, 'My.Group(1)', 'Contoso01'],
  ])('parses %s', (input, group, name) => {
    const id = parseAcrResourceId(input);
    expect(id).toEqual({
      subscriptionId: SUB,
      resourceGroup: group,
      registryName: name,
      id: `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.ContainerRegistry/registries/${name}`,
    });
  });

  it.each([
    ['', /empty/],
    ['subscriptions/x', /start with \/subscriptions\//],
    [`/subscriptions/not-a-uuid/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contoso`, /not a UUID/],
    [`/subscriptions/${SUB}/groups/rg/providers/Microsoft.ContainerRegistry/registries/contoso`, /resourceGroups/],
    [`/subscriptions/${SUB}/resourceGroups/rg./providers/Microsoft.ContainerRegistry/registries/contoso`, /resource group name/],
    [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contoso`, /Microsoft.ContainerRegistry\/registries/],
    [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr`, /5-50 letters and digits/],
    [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contoso-base`, /5-50 letters and digits/],
    [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contoso/tasks/build`, /child resource/],
  ])('refuses %j', (input, reason) => {
    expect(() => parseAcrResourceId(input, { file: 'basegate.yaml', path: 'target.acr.resourceId' })).toThrow(
      expect.objectContaining({ code: 'ACR_RESOURCE_ID_INVALID', message: expect.stringMatching(reason) }),
    );
  });

  it('names the config file and path in the error', () => {
    expect(() => parseAcrResourceId('nope', { file: 'basegate.yaml', path: 'target.acr.resourceId' })).toThrow(/^basegate\.yaml: target\.acr\.resourceId: /);
  });

  it('builds task ids and refuses bad task names', () => {
    const id = parseAcrResourceId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contoso`);
    expect(acrTaskResourceId(id, 'build-app_1')).toBe(`${id.id}/tasks/build-app_1`);
    expect(() => acrTaskResourceId(id, 'a/b')).toThrow(expect.objectContaining({ code: 'ACR_TASK_NAME_INVALID' }));
  });
});

describe('resolveArmClientOptions', () => {
  it('fills the public-cloud defaults', () => {
    const resolved = resolveArmClientOptions({ subscriptionId: SUB, credential: staticCredential('t') });
    expect(resolved).toMatchObject({ endpoint: 'https://management.azure.com', retry: { maxRetries: 3 } });
  });

  it.each([
    [{ subscriptionId: 'sub' }, 'ARM_SUBSCRIPTION_INVALID'],
    [{ subscriptionId: SUB, endpoint: 'http://127.0.0.1:1' }, 'ARM_ENDPOINT_INVALID'],
    [{ subscriptionId: SUB, credential: staticCredential('t'), managedIdentityClientId: 'id' }, 'AZURE_CREDENTIAL_CONFLICT'],
  ])('refuses %j', (options, code) => {
    expect(() => resolveArmClientOptions(options)).toThrow(expect.objectContaining({ code }));
  });
});

describe('createSecretResolver', () => {
  it('reads literals and environment variables, and says which variable is missing without values', async () => {
    const resolve = createSecretResolver({ env: { TOKEN: 'from-env' } });
    await expect(resolve({ value: 'literal' })).resolves.toBe('literal');
    await expect(resolve({ env: 'TOKEN' })).resolves.toBe('from-env');
    await expect(resolve({ env: 'MISSING' })).rejects.toMatchObject({ code: 'SECRET_ENV_MISSING', message: expect.stringContaining('MISSING') });
    await expect(resolve({ keyVaultSecret: 'https://v.vault.azure.net/secrets/x' })).rejects.toMatchObject({ code: 'SECRET_KEY_VAULT_UNCONFIGURED' });
  });

  it.each([
    ['https://contoso.vault.azure.net/secrets/dockerhub-token', { vault: 'https://contoso.vault.azure.net', name: 'dockerhub-token' }],
    ['https://contoso.vault.azure.net/secrets/t/0123456789abcdef0123456789abcdef', { vault: 'https://contoso.vault.azure.net', name: 't', version: '0123456789abcdef0123456789abcdef' }],
  ])('parses Key Vault secret id %s', (input, expected) => {
    expect(parseKeyVaultSecretId(input)).toEqual(expected);
  });

  it.each(['http://contoso.vault.azure.net/secrets/x', 'https://contoso.vault.azure.net/keys/x', 'https://contoso.vault.azure.net/secrets/a_b', 'not a url'])('refuses Key Vault secret id %s', (input) => {
    expect(() => parseKeyVaultSecretId(input)).toThrow(expect.objectContaining({ code: 'KEY_VAULT_SECRET_ID_INVALID' }));
  });
});
