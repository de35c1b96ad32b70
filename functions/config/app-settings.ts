/**
 * The app settings the Functions app reads (issue #7), their defaults, and the one function that
 * reads them: `readAppSettings(process.env)` at start-up, once, in the composition root.
 *
 * Rules:
 * - Code elsewhere reads app settings ONLY through this module: no `process.env.BASEGATE_*` (or
 *   `AzureWebJobsStorage*`, `AZURE_CLIENT_ID`) anywhere else. A new setting is added to
 *   {@link APP_SETTINGS} and to `var appSettings` in infra/modules/function-app.bicep, together:
 *   test/unit/infra-parity.test.ts fails when the two disagree (issue #8).
 * - No secret is ever an app setting. Secrets live in Key Vault; settings carry the secret's URI
 *   (`https://<vault>.vault.azure.net/secrets/<name>`), read at run time with the app's managed
 *   identity, so a rotated secret is picked up without a restart.
 * - An empty value counts as unset: App Service keeps settings with empty values, and azd passes an
 *   empty string for an environment variable nobody set.
 * - Storage is the Functions host's own connection (`AzureWebJobsStorage`): the queue triggers read
 *   it, so the app's queue and table clients use the same account through the same settings.
 *   In Azure that is identity-based (`AzureWebJobsStorage__queueServiceUri`, `__tableServiceUri`,
 *   with `__credential`/`__clientId` read by the host); locally it is a connection string for Azurite.
 *   Never both: a plain `AzureWebJobsStorage` silently overrides the identity-based settings
 *   (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';

/** Names of every app setting the app reads, by what it is for. */
export const APP_SETTINGS = {
  configPath: 'BASEGATE_CONFIG_PATH',
  detectSchedule: 'BASEGATE_DETECT_SCHEDULE',
  poisonSchedule: 'BASEGATE_POISON_SCHEDULE',
  keyVaultUri: 'BASEGATE_KEYVAULT_URI',
  dockerHubUsername: 'BASEGATE_DOCKERHUB_USERNAME',
  dockerHubTokenSecretUri: 'BASEGATE_DOCKERHUB_TOKEN_SECRET_URI',
  dockerHubWebhookSecretUri: 'BASEGATE_DOCKERHUB_WEBHOOK_SECRET_URI',
  acrWebhookSecretUri: 'BASEGATE_ACR_WEBHOOK_SECRET_URI',
  genericWebhookSecretUri: 'BASEGATE_GENERIC_WEBHOOK_SECRET_URI',
  /** @deprecated one secret for every sender; use the per-sender settings above (read for Docker Hub and ACR only). */
  webhookSecretUri: 'BASEGATE_WEBHOOK_SECRET_URI',
  baseRegistryId: 'BASEGATE_BASE_REGISTRY_ID',
  baseRegistryLoginServer: 'BASEGATE_BASE_REGISTRY_LOGIN_SERVER',
  appRegistryIds: 'BASEGATE_APP_REGISTRY_IDS',
  apiClientId: 'BASEGATE_API_CLIENT_ID',
  clientId: 'AZURE_CLIENT_ID',
  queueServiceUri: 'AzureWebJobsStorage__queueServiceUri',
  tableServiceUri: 'AzureWebJobsStorage__tableServiceUri',
  storageConnectionString: 'AzureWebJobsStorage',
} as const;

/** An app setting name from {@link APP_SETTINGS}. */
export type AppSettingName = (typeof APP_SETTINGS)[keyof typeof APP_SETTINGS];

/** The connection name queue triggers pass as `connection`: the host's own storage (see the module header). */
export const HOST_STORAGE_CONNECTION = APP_SETTINGS.storageConnectionString;

/** Defaults for the settings that have one. */
export const APP_SETTING_DEFAULTS = {
  /** basegate.yaml ships inside the deployment package, beside package.json (issue #8). */
  configPath: 'basegate.yaml',
  /** Every 15 minutes (issue #7): one HEAD per tracked tag, which Docker Hub does not count as a pull. */
  detectSchedule: '0 */15 * * * *',
  /** Every 10 minutes: poisoned messages reach the audit and status soon; an empty poison queue costs one peek. */
  poisonSchedule: '0 */10 * * * *',
} as const;

/** Where the app's queues and tables are, and how to reach them. */
export type StorageSettings =
  | { kind: 'identity'; queueServiceUri: string; tableServiceUri: string }
  | { kind: 'connectionString'; connectionString: string };

/** The validated settings, with defaults applied. */
export interface AppSettings {
  /** Absolute path of basegate.yaml. */
  configPath: string;
  /** NCRONTAB schedule of the detect timer. */
  detectSchedule: string;
  /** NCRONTAB schedule of the poison-queue reader. */
  poisonSchedule: string;
  storage: StorageSettings;
  /** Client id of the user-assigned managed identity; unset: DefaultAzureCredential's own chain (local). */
  clientId: string | undefined;
  /** The vault holding basegate's secrets; secret URIs must point into it when it is set. */
  keyVaultUri: string | undefined;
  /** Docker Hub account for authenticated pulls; the token is read from Key Vault by URI. */
  dockerHub: { username: string; tokenSecretUri: string } | undefined;
  /**
   * Key Vault secret URI of each sender's webhook secret (issue #15: one per sender, so that the
   * secret Docker Hub carries in its URL cannot sign a generic delivery). The deprecated shared
   * BASEGATE_WEBHOOK_SECRET_URI still stands in for Docker Hub and ACR, never for generic.
   */
  webhookSecretUris: { dockerhub?: string; acr?: string; generic?: string };
  /** Deprecated settings in use, each with what to set instead: logged once at start-up. */
  warnings: string[];
  /** The base-image registry basegate promotes into. */
  baseRegistry: { resourceId: string; loginServer: string } | undefined;
  /** ARM ids of application registries basegate may schedule ACR Task runs in. */
  appRegistryIds: string[];
  /**
   * Client id of the Entra app registration of the HTTP API. Set (by the Bicep, with the same
   * condition that turns App Service authentication on) means the platform authenticates API
   * callers and the app may trust X-MS-CLIENT-PRINCIPAL (handlers/http/api-auth.ts); unset means
   * nothing vouches for a caller.
   */
  apiClientId: string | undefined;
}

/** Options of {@link readAppSettings}. */
export interface ReadAppSettingsOptions {
  /** Directory a relative BASEGATE_CONFIG_PATH is resolved against; default: the package root. */
  appRoot?: string;
}

/** Reads, validates and defaults the app settings; throws one ConfigError listing every problem. */
export function readAppSettings(env: Readonly<Record<string, string | undefined>>, options: ReadAppSettingsOptions = {}): AppSettings {
  const problems: string[] = [];
  const raw: Partial<Record<AppSettingName, string>> = {};
  for (const name of Object.values(APP_SETTINGS)) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (value.startsWith('@Microsoft.KeyVault(')) {
      // App Service leaves the reference text in place when it cannot resolve it.
      problems.push(`${name}: is an unresolved Key Vault reference; basegate takes secret URIs, not references`);
      continue;
    }
    raw[name] = value;
  }

  // Each setting is checked on its own first; the rules that span settings need valid inputs.
  const parsed: ParsedSettings = {};
  for (const [name, schema] of Object.entries(fieldSchemas) as [AppSettingName, z.ZodType][]) {
    const value = raw[name];
    if (value === undefined) continue;
    const r = schema.safeParse(value);
    if (r.success) (parsed as Record<string, unknown>)[name] = r.data;
    else problems.push(`${name}: ${r.error.issues.map((i) => i.message).join(', ')}`);
  }
  const result = problems.length === 0 ? combine(parsed, options, problems) : undefined;
  if (result === undefined || problems.length > 0) {
    throw new ConfigError(problems.join('; '), { file: 'app settings', code: 'APP_SETTINGS_INVALID' });
  }
  return result;
}

const N = APP_SETTINGS;

const ncrontab = z
  .string()
  .transform((v) => v.replace(/\s+/g, ' '))
  .refine((v) => /^[0-9A-Za-z*/,-]+( [0-9A-Za-z*/,-]+){5}$/.test(v), {
    message: 'expected a 6-field NCRONTAB expression: {second} {minute} {hour} {day} {month} {day-of-week}',
  });

/** https only, no credentials, query or fragment: these URLs identify, they never authorize. */
function plainUrl(allowLoopbackHttp: boolean) {
  return z.string().refine(
    (v) => {
      const u = tryUrl(v);
      if (!u || u.username || u.password || u.search || u.hash) return false;
      return u.protocol === 'https:' || (allowLoopbackHttp && u.protocol === 'http:' && isLoopback(u.hostname));
    },
    { message: allowLoopbackHttp ? 'expected an https URL (http only for a loopback emulator), without credentials or query' : 'expected an https URL without credentials or query' },
  );
}

const secretUri = z.string().refine(
  (v) => {
    const u = tryUrl(v);
    return !!u && u.protocol === 'https:' && !u.username && !u.search && /^\/secrets\/[0-9A-Za-z-]{1,127}(\/[0-9a-f]{32})?\/?$/.test(u.pathname);
  },
  { message: 'expected a Key Vault secret URI: https://<vault>.vault.azure.net/secrets/<name>[/<version>]' },
);

const REGISTRY_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]{5,50}$/i;
const registryId = z.string().regex(REGISTRY_ID, 'expected an ARM id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>');

/** One schema per setting; parsed values come out trimmed and normalised. */
const fieldSchemas = {
  [N.configPath]: z.string().refine((v) => !v.includes('\0'), 'expected a file path'),
  [N.detectSchedule]: ncrontab,
  [N.poisonSchedule]: ncrontab,
  [N.keyVaultUri]: plainUrl(false),
  [N.dockerHubUsername]: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,254}$/i, 'expected a Docker Hub user or organisation name'),
  [N.dockerHubTokenSecretUri]: secretUri,
  [N.dockerHubWebhookSecretUri]: secretUri,
  [N.acrWebhookSecretUri]: secretUri,
  [N.genericWebhookSecretUri]: secretUri,
  [N.webhookSecretUri]: secretUri,
  [N.baseRegistryId]: registryId,
  [N.baseRegistryLoginServer]: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i, 'expected a registry host name, such as contosobase.azurecr.io')
    .transform((v) => v.toLowerCase())
    ,
  [N.appRegistryIds]: z
    .string()
    .transform((v) => v.split(',').map((id) => id.trim()).filter((id) => id !== ''))
    .refine((ids) => ids.every((id) => REGISTRY_ID.test(id)), 'expected comma-separated ARM ids of container registries')
    ,
  [N.apiClientId]: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected the client id (GUID) of the API\'s Entra app registration').transform((v) => v.toLowerCase()),
  [N.clientId]: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a client id (GUID)'),
  [N.queueServiceUri]: plainUrl(true),
  [N.tableServiceUri]: plainUrl(true),
  [N.storageConnectionString]: z.string(),
} satisfies Record<AppSettingName, z.ZodType>;

type ParsedSettings = { [K in keyof typeof fieldSchemas]?: z.output<(typeof fieldSchemas)[K]> };

/** Applies defaults and the rules that span several settings, pushing what is wrong onto `problems`. */
function combine(s: ParsedSettings, options: ReadAppSettingsOptions, problems: string[]): AppSettings {
  const queueUri = s[N.queueServiceUri];
  const tableUri = s[N.tableServiceUri];
  const connection = s[N.storageConnectionString];
  let storage: StorageSettings = { kind: 'connectionString', connectionString: '' };
  if (connection !== undefined && (queueUri !== undefined || tableUri !== undefined)) {
    problems.push(`${N.storageConnectionString}: set together with ${N.queueServiceUri}/${N.tableServiceUri}; the connection string would silently win, set only one kind`);
  } else if (connection !== undefined) {
    storage = { kind: 'connectionString', connectionString: connection };
  } else if (queueUri !== undefined && tableUri !== undefined) {
    storage = { kind: 'identity', queueServiceUri: queueUri, tableServiceUri: tableUri };
  } else if (queueUri !== undefined || tableUri !== undefined) {
    problems.push(`${queueUri === undefined ? N.queueServiceUri : N.tableServiceUri}: missing; the queue and table service URIs go together`);
  } else {
    problems.push(`${N.queueServiceUri}: missing; set it and ${N.tableServiceUri} (Azure), or ${N.storageConnectionString} (local Azurite)`);
  }

  const keyVaultUri = s[N.keyVaultUri];
  for (const name of [N.dockerHubTokenSecretUri, N.dockerHubWebhookSecretUri, N.acrWebhookSecretUri, N.genericWebhookSecretUri, N.webhookSecretUri] as const) {
    const uri = s[name];
    if (uri !== undefined && keyVaultUri !== undefined && new URL(uri).origin !== new URL(keyVaultUri).origin) {
      problems.push(`${name}: points outside ${N.keyVaultUri}; basegate's identity reads secrets from its own vault only`);
    }
  }

  const username = s[N.dockerHubUsername];
  const tokenUri = s[N.dockerHubTokenSecretUri];
  if ((username === undefined) !== (tokenUri === undefined)) {
    problems.push(`${username === undefined ? N.dockerHubUsername : N.dockerHubTokenSecretUri}: missing; a Docker Hub token needs its user name and the other way round`);
  }

  const registryResourceId = s[N.baseRegistryId];
  const loginServer = s[N.baseRegistryLoginServer];
  if ((registryResourceId === undefined) !== (loginServer === undefined)) {
    problems.push(`${registryResourceId === undefined ? N.baseRegistryId : N.baseRegistryLoginServer}: missing; the base registry's id and login server go together`);
  }

  const shared = s[N.webhookSecretUri];
  const warnings: string[] = [];
  if (shared !== undefined) {
    const standsIn = [[N.dockerHubWebhookSecretUri, 'Docker Hub'], [N.acrWebhookSecretUri, 'ACR']].filter(([name]) => s[name as AppSettingName] === undefined).map(([, who]) => who);
    warnings.push(
      `${N.webhookSecretUri} is deprecated: one secret for every sender lets whoever reads Docker Hub's webhook URL sign generic deliveries. ` +
        `Set ${N.dockerHubWebhookSecretUri}, ${N.acrWebhookSecretUri} and ${N.genericWebhookSecretUri} to a secret each; ` +
        (standsIn.length > 0 ? `until then it still checks ${standsIn.join(' and ')} deliveries, and never generic ones.` : 'it is no longer read.'),
    );
  }

  const appRoot = options.appRoot ?? findAppRoot(__dirname);
  return {
    configPath: path.resolve(appRoot, s[N.configPath] ?? APP_SETTING_DEFAULTS.configPath),
    detectSchedule: s[N.detectSchedule] ?? APP_SETTING_DEFAULTS.detectSchedule,
    poisonSchedule: s[N.poisonSchedule] ?? APP_SETTING_DEFAULTS.poisonSchedule,
    storage,
    clientId: s[N.clientId],
    keyVaultUri,
    dockerHub: username !== undefined && tokenUri !== undefined ? { username, tokenSecretUri: tokenUri } : undefined,
    webhookSecretUris: {
      dockerhub: s[N.dockerHubWebhookSecretUri] ?? shared,
      acr: s[N.acrWebhookSecretUri] ?? shared,
      generic: s[N.genericWebhookSecretUri],
    },
    warnings,
    baseRegistry: registryResourceId !== undefined && loginServer !== undefined ? { resourceId: registryResourceId, loginServer } : undefined,
    appRegistryIds: s[N.appRegistryIds] ?? [],
    apiClientId: s[N.apiClientId],
  };
}

/** The nearest directory at or above `from` holding package.json: the deployed app's root (wwwroot). */
function findAppRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

function tryUrl(v: string): URL | undefined {
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
