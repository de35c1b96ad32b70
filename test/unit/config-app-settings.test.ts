import * as path from 'node:path';
import { APP_SETTINGS, APP_SETTING_DEFAULTS, readAppSettings } from '../../functions/config/app-settings';
import { ConfigError } from '../../functions/errors';

const ROOT = path.resolve(__dirname, '../..');
const SUB = '00000000-1111-2222-3333-444444444444';
const BASE_ID = `/subscriptions/${SUB}/resourceGroups/rg-basegate/providers/Microsoft.ContainerRegistry/registries/crbaseabc123`;
const APP_ID = `/subscriptions/${SUB}/resourceGroups/rg-apps/providers/Microsoft.ContainerRegistry/registries/contosoapps`;

/** What infra/modules/function-app.bicep sets, with example values. */
const AZURE_ENV: Record<string, string> = {
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
  AzureWebJobsStorage__blobServiceUri: 'https://stabc123.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://stabc123.queue.core.windows.net/',
  AzureWebJobsStorage__tableServiceUri: 'https://stabc123.table.core.windows.net/',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  BASEGATE_CONFIG_PATH: 'basegate.yaml',
  BASEGATE_DETECT_SCHEDULE: '0 */5 * * * *',
  BASEGATE_POISON_SCHEDULE: '',
  BASEGATE_KEYVAULT_URI: 'https://kv-abc123.vault.azure.net/',
  BASEGATE_DOCKERHUB_USERNAME: 'contoso',
  BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: 'https://kv-abc123.vault.azure.net/secrets/dockerhub-token',
  BASEGATE_DOCKERHUB_WEBHOOK_SECRET_URI: 'https://kv-abc123.vault.azure.net/secrets/dockerhub-webhook-secret',
  BASEGATE_ACR_WEBHOOK_SECRET_URI: 'https://kv-abc123.vault.azure.net/secrets/acr-webhook-secret',
  BASEGATE_GENERIC_WEBHOOK_SECRET_URI: 'https://kv-abc123.vault.azure.net/secrets/generic-webhook-secret',
  BASEGATE_API_CLIENT_ID: '',
  BASEGATE_BASE_REGISTRY_ID: BASE_ID,
  BASEGATE_BASE_REGISTRY_LOGIN_SERVER: 'CrBaseAbc123.azurecr.io',
  BASEGATE_APP_REGISTRY_IDS: ` ${APP_ID} ,`,
};

const LOCAL_ENV = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function problemsOf(env: Record<string, string>): string {
  try {
    readAppSettings(env, { appRoot: '/srv/app' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('APP_SETTINGS_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected readAppSettings to throw');
}

describe('readAppSettings', () => {
  it('reads what the Bicep sets in Azure', () => {
    const s = readAppSettings(AZURE_ENV, { appRoot: '/home/site/wwwroot' });
    expect(s).toEqual({
      configPath: '/home/site/wwwroot/basegate.yaml',
      detectSchedule: '0 */5 * * * *',
      poisonSchedule: APP_SETTING_DEFAULTS.poisonSchedule, // empty counts as unset
      storage: { kind: 'identity', queueServiceUri: 'https://stabc123.queue.core.windows.net/', tableServiceUri: 'https://stabc123.table.core.windows.net/' },
      clientId: '11111111-2222-3333-4444-555555555555',
      keyVaultUri: 'https://kv-abc123.vault.azure.net/',
      dockerHub: { username: 'contoso', tokenSecretUri: 'https://kv-abc123.vault.azure.net/secrets/dockerhub-token' },
      webhookSecretUris: {
        dockerhub: 'https://kv-abc123.vault.azure.net/secrets/dockerhub-webhook-secret',
        acr: 'https://kv-abc123.vault.azure.net/secrets/acr-webhook-secret',
        generic: 'https://kv-abc123.vault.azure.net/secrets/generic-webhook-secret',
      },
      warnings: [],
      apiClientId: undefined,
      baseRegistry: { resourceId: BASE_ID, loginServer: 'crbaseabc123.azurecr.io' },
      appRegistryIds: [APP_ID],
    });
  });

  it('runs locally on an Azurite connection string with every default', () => {
    const s = readAppSettings(LOCAL_ENV);
    expect(s.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    expect(s.configPath).toBe(path.join(ROOT, 'basegate.yaml')); // beside package.json
    expect(s.detectSchedule).toBe('0 */15 * * * *');
    expect(s.poisonSchedule).toBe('0 */10 * * * *');
    expect([s.clientId, s.keyVaultUri, s.dockerHub, s.baseRegistry, s.apiClientId]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(s.webhookSecretUris).toEqual({ dockerhub: undefined, acr: undefined, generic: undefined });
    expect(s.appRegistryIds).toEqual([]);
  });

  it('reads the deprecated shared webhook secret for Docker Hub and ACR only, never generic, and says so', () => {
    const shared = 'https://kv-abc123.vault.azure.net/secrets/webhook-secret';
    const s = readAppSettings({ ...LOCAL_ENV, BASEGATE_WEBHOOK_SECRET_URI: shared, BASEGATE_ACR_WEBHOOK_SECRET_URI: 'https://kv-abc123.vault.azure.net/secrets/acr-webhook-secret' });
    expect(s.webhookSecretUris).toEqual({ dockerhub: shared, acr: 'https://kv-abc123.vault.azure.net/secrets/acr-webhook-secret', generic: undefined });
    expect(s.warnings).toEqual([expect.stringMatching(/BASEGATE_WEBHOOK_SECRET_URI is deprecated.*still checks Docker Hub deliveries, and never generic ones/)]);
  });

  it('keeps an absolute config path and accepts http only for a loopback emulator', () => {
    const s = readAppSettings(
      { BASEGATE_CONFIG_PATH: '/etc/basegate/basegate.yaml', AzureWebJobsStorage__queueServiceUri: 'http://127.0.0.1:10001/devstoreaccount1', AzureWebJobsStorage__tableServiceUri: 'http://localhost:10002/devstoreaccount1' },
      { appRoot: '/srv/app' },
    );
    expect(s.configPath).toBe('/etc/basegate/basegate.yaml');
    expect(s.storage.kind).toBe('identity');
  });

  it('treats empty Docker Hub settings as anonymous pulls, not as an error', () => {
    expect(readAppSettings({ ...AZURE_ENV, BASEGATE_DOCKERHUB_USERNAME: '', BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: ' ' }).dockerHub).toBeUndefined();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a 5-field cron', { ...LOCAL_ENV, BASEGATE_DETECT_SCHEDULE: '*/15 * * * *' }, /BASEGATE_DETECT_SCHEDULE: expected a 6-field NCRONTAB/],
    ['an http Key Vault', { ...LOCAL_ENV, BASEGATE_KEYVAULT_URI: 'http://kv.vault.azure.net/' }, /BASEGATE_KEYVAULT_URI: expected an https URL/],
    ['a secret URI that is not a secret', { ...LOCAL_ENV, BASEGATE_WEBHOOK_SECRET_URI: 'https://kv.vault.azure.net/keys/k' }, /BASEGATE_WEBHOOK_SECRET_URI: expected a Key Vault secret URI/],
    ['a secret URI with a query', { ...LOCAL_ENV, BASEGATE_WEBHOOK_SECRET_URI: 'https://kv.vault.azure.net/secrets/s?api-version=7.4' }, /BASEGATE_WEBHOOK_SECRET_URI: expected a Key Vault secret URI/],
    ['a secret in another vault', { ...AZURE_ENV, BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: 'https://elsewhere.vault.azure.net/secrets/t' }, /BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: points outside BASEGATE_KEYVAULT_URI/],
    ['a token without its user', { ...AZURE_ENV, BASEGATE_DOCKERHUB_USERNAME: '' }, /BASEGATE_DOCKERHUB_USERNAME: missing/],
    ['a user without a token', { ...AZURE_ENV, BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: '' }, /BASEGATE_DOCKERHUB_TOKEN_SECRET_URI: missing/],
    ['a connection string beside identity URIs', { ...AZURE_ENV, AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0' }, /AzureWebJobsStorage: set together with/],
    ['a queue URI without the table URI', { AzureWebJobsStorage__queueServiceUri: 'https://s.queue.core.windows.net/' }, /AzureWebJobsStorage__tableServiceUri: missing/],
    ['no storage at all', {}, /AzureWebJobsStorage__queueServiceUri: missing/],
    ['storage URI with credentials', { AzureWebJobsStorage__queueServiceUri: 'https://u:p@s.queue.core.windows.net/', AzureWebJobsStorage__tableServiceUri: 'https://s.table.core.windows.net/' }, /AzureWebJobsStorage__queueServiceUri: expected an https URL/],
    ['an unresolved Key Vault reference', { ...LOCAL_ENV, BASEGATE_WEBHOOK_SECRET_URI: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/s)' }, /BASEGATE_WEBHOOK_SECRET_URI: is an unresolved Key Vault reference/],
    ['a bad application registry id', { ...LOCAL_ENV, BASEGATE_APP_REGISTRY_IDS: `${APP_ID},contosoapps.azurecr.io` }, /BASEGATE_APP_REGISTRY_IDS: expected comma-separated ARM ids/],
    ['a client id that is not a GUID', { ...LOCAL_ENV, AZURE_CLIENT_ID: 'my-identity' }, /AZURE_CLIENT_ID: expected a client id/],
    ['a login server without the registry id', { ...LOCAL_ENV, BASEGATE_BASE_REGISTRY_LOGIN_SERVER: 'crbase.azurecr.io' }, /BASEGATE_BASE_REGISTRY_ID: missing/],
  ])('refuses %s', (_what, env, expected) => {
    expect(problemsOf(env)).toMatch(expected);
  });

  it('lists every invalid setting at once', () => {
    const message = problemsOf({ ...LOCAL_ENV, BASEGATE_DETECT_SCHEDULE: 'often', AZURE_CLIENT_ID: 'x', BASEGATE_KEYVAULT_URI: 'ftp://x' });
    expect(message.match(/(BASEGATE_DETECT_SCHEDULE|AZURE_CLIENT_ID|BASEGATE_KEYVAULT_URI):/g)).toEqual(['BASEGATE_DETECT_SCHEDULE:', 'BASEGATE_KEYVAULT_URI:', 'AZURE_CLIENT_ID:']);
  });

  it('never echoes a setting value into the error', () => {
    const message = problemsOf({ ...AZURE_ENV, AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0' });
    expect(message).not.toContain('c2VjcmV0');
    expect(message).not.toContain('AccountKey');
  });

  it('names only settings it reads (the parity test compares these with the Bicep)', () => {
    const names = Object.values(APP_SETTINGS);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^(BASEGATE_[A-Z_]+|AZURE_CLIENT_ID|AzureWebJobsStorage(__[a-zA-Z]+)?)$/.test(n))).toBe(true);
  });
});
