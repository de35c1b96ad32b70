/**
 * Turns one resolved `dependents:` entry (functions/config/config.ts `DependentConfig`, with its
 * `id` and defaults) into its `RebuildTrigger`. Webhooks, GitHub dispatch and Azure Pipelines are
 * built here; ACR tasks and discovery need the ARM SDK, which only functions/azure/ may import,
 * so their builders are injected through `deps` by the composition root, as is the Key Vault
 * resolver for `tokenSecret`.
 */
import type { AcrTaskDependent, DependentConfig, DiscoverDependent } from '../config/config';
import { ConfigError } from '../errors';
import { AzurePipelinesTrigger } from './azure-pipelines-trigger';
import { GithubDispatchTrigger } from './github-dispatch-trigger';
import type { HttpOptions } from './http-post';
import type { RebuildTrigger } from './rebuild-trigger';
import type { TokenSource } from './token-source';
import { WebhookTrigger } from './webhook-trigger';

/** What {@link createRebuildTrigger} needs from the composition root. */
export interface RebuildTriggerDeps {
  /** Transport for the HTTP triggers (CA, dispatcher, timeout, user agent). */
  http?: HttpOptions;
  /** Reads a Key Vault secret (`tokenSecret:`), e.g. functions/azure/secret-resolver.ts; read per request so rotations apply. */
  resolveSecret?: (ref: { keyVaultSecret: string }) => Promise<string>;
  /** Builds the trigger of an `acrTask:` dependent (functions/azure/). */
  acrTask?: (dependent: AcrTaskDependent) => RebuildTrigger;
  /** Builds the trigger of a `discover:` dependent (functions/azure/). */
  discover?: (dependent: DiscoverDependent) => RebuildTrigger;
}

/** The trigger of one dependent; throws a `ConfigError` for a bad entry or a kind this runtime cannot serve. */
export function createRebuildTrigger(dependent: DependentConfig, deps: RebuildTriggerDeps = {}): RebuildTrigger {
  switch (dependent.kind) {
    case 'webhook':
      return new WebhookTrigger({ id: dependent.id, url: dependent.url, secret: dependent.secret, headers: dependent.headers, insecure: dependent.insecure, http: deps.http });
    case 'githubDispatch':
      return new GithubDispatchTrigger({
        id: dependent.id,
        repository: dependent.repository,
        eventType: dependent.eventType,
        apiUrl: dependent.apiUrl,
        token: tokenOf(dependent, deps),
        http: deps.http,
      });
    case 'azurePipelines':
      return new AzurePipelinesTrigger({
        id: dependent.id,
        organization: dependent.organization,
        project: dependent.project,
        pipelineId: dependent.pipelineId,
        branch: dependent.branch,
        baseUrl: dependent.url,
        token: tokenOf(dependent, deps),
        http: deps.http,
      });
    case 'acrTask':
      if (!deps.acrTask) throw unsupported(dependent);
      return deps.acrTask(dependent);
    case 'discover':
      if (!deps.discover) throw unsupported(dependent);
      return deps.discover(dependent);
    default:
      throw new ConfigError(`unknown dependent kind ${JSON.stringify((dependent as { kind?: unknown }).kind)}`, { code: 'REBUILD_CONFIG_INVALID' });
  }
}

/** `token:` as is, or `tokenSecret:` read from Key Vault at each request (the schema allows exactly one). */
function tokenOf(dependent: { id: string; kind: string; token?: string; tokenSecret?: string }, deps: RebuildTriggerDeps): TokenSource {
  if (dependent.token !== undefined) return dependent.token;
  const secret = dependent.tokenSecret;
  if (secret === undefined) throw new ConfigError(`dependent ${dependent.id}: ${dependent.kind} needs token or tokenSecret`, { code: 'REBUILD_CONFIG_INVALID' });
  const resolve = deps.resolveSecret;
  if (!resolve) {
    throw new ConfigError(`dependent ${dependent.id}: tokenSecret is in Key Vault, and this runtime has no secret resolver`, { code: 'REBUILD_UNSUPPORTED' });
  }
  return () => resolve({ keyVaultSecret: secret });
}

function unsupported(dependent: DependentConfig): ConfigError {
  return new ConfigError(`dependent ${dependent.id}: ${dependent.kind} needs Azure (an ACR task runner), and this runtime has none configured`, {
    code: 'REBUILD_UNSUPPORTED',
  });
}
