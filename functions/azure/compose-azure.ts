/**
 * The Functions app's composition root: app settings and basegate.yaml in, the pipeline's
 * adapters out (issue #7). Two steps:
 *
 * 1. `loadAzureStartup` (azure-startup.ts), synchronous, when functions/app.ts is imported: reads
 *    the app settings and the deployed basegate.yaml with the same schema as the CLI. A bad setting
 *    or config throws there, which stops the host from loading any function: it fails loudly at
 *    start-up, in the portal and the logs, instead of at the first message. It loads no Azure SDK
 *    and none of this file, which app.ts loads on first use (cold start, issue #20).
 * 2. {@link composeAzure}, once per instance on first use: Table Storage state, Storage queues
 *    (identity-based in Azure, a connection string for Azurite), the registry client, ARM import
 *    when `target.acr` is set (else the OCI copy), gates and rebuild triggers. Registry secrets
 *    are read here, which needs the network, hence async; webhook secrets are read when a
 *    delivery needs them (webhook-secrets.ts).
 */
import type { Dispatcher } from 'undici';
import type { AppSettings } from '../config/app-settings';
import type { Config } from '../config/config';
import type { ConfiguredImage } from '../config/tracked-images';
import { createGates } from '../gates/create-gates';
import { createImageInspector, inspectorOptionsFor } from '../gates/image-inspector';
import { CopyPromoter } from '../oci/copy-promoter';
import { registryMetrics } from '../telemetry/registry-metrics';
import type { RegistryEventListener } from '../oci/registry/events';
import type { RegistryClientOptions } from '../oci/registry/options';
import { RemoteRegistry } from '../oci/registry/remote-registry';
import { newMessage } from '../pipeline/messages';
import { systemClock, type Clock, type Promoter, type StateStore } from '../pipeline/ports';
import type { WebhookSecretSource } from '../webhooks/webhook-secret-settings';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { createRebuildTrigger } from '../rebuild/create-rebuild-trigger';
import type { RebuildTrigger } from '../rebuild/rebuild-trigger';
import { AcrImportPromoter, type AcrSourceCredentials } from './acr-import-promoter';
import { AcrDiscoverRebuildTrigger } from './acr-discover-rebuild-trigger';
import { AcrTaskRebuildTrigger } from './acr-task-rebuild-trigger';
import { AcrDataPlaneTagLock } from './acr-tag-lock';
import { ArmClients } from './arm-clients';
import { createAzureCredential, type TokenCredential } from './azure-credential';
import { azureRegistryOptions } from './azure-registry-options';
import { readHostQueueSettings } from './host-json';
import { createQueueService, QueueClients, type QueueNames } from './queue-clients';
import type { MessageEncoding } from './queue-encoding';
import { StoragePoisonQueues } from './queue-poison';
import { StorageQueueSender } from './queue-sender';
import type { KeyVaultSecretOptions } from './key-vault-secret';
import { createSecretResolver, type ResolveSecret } from './secret-resolver';
import { createWebhookSecrets } from './webhook-secrets';
import { TableStateStore } from './table-state-store';

import type { AzureStartup } from './azure-startup';

export { loadAzureStartup, type AzureStartup } from './azure-startup';

/** Options of {@link composeAzure}: tests use them to share one Azurite and shorten waits. */
export interface ComposeAzureOptions {
  /** Default: DefaultAzureCredential for the user-assigned identity of AZURE_CLIENT_ID. */
  credential?: TokenCredential;
  queueNames?: QueueNames;
  tables?: { state: string; audit: string };
  /** Default: host.json's `extensions.queues.messageEncoding`. */
  messageEncoding?: MessageEncoding;
  registryOptions?: RegistryClientOptions;
  /** Registry client events (throttling feeds the `throttled` metric). */
  onRegistryEvent?: RegistryEventListener;
  clock?: Clock;
  /** How Key Vault is reached (a private CA: the tests' loopback Key Vault fake). */
  keyVaultDispatcher?: Dispatcher;
}

/** The composed app: the queue stages' runtime plus what the HTTP routes need. */
export interface AzureRuntime extends StageRuntime {
  startup: AzureStartup;
  state: StateStore;
  clock: Clock;
  /** The poison queues with replay (the CLI's `replay-poison` uses the same adapter). */
  poison: StoragePoisonQueues;
  /** Sends a detect request for one tracked image (every tracked tag when `tag` is undefined), invisible for `delaySeconds` when given. */
  requestCheck(request: { imageId: string; tag?: string; reason: string; correlationId: string; delaySeconds?: number }): Promise<void>;
  /** Each sender's webhook secrets from Key Vault, read when a delivery needs them (azure/webhook-secrets.ts). */
  webhookSecret: WebhookSecretSource;
  close(): Promise<void>;
}

/** Builds every adapter of the app from what start-up loaded. */
export async function composeAzure(startup: AzureStartup, options: ComposeAzureOptions = {}): Promise<AzureRuntime> {
  const { settings, config, images } = startup;
  const clock = options.clock ?? systemClock;
  let credential: TokenCredential | undefined = options.credential;
  // Built on first need: a local run over Azurite and public registries never asks Azure for a token.
  const lazyCredential = () => (credential ??= createAzureCredential({ managedIdentityClientId: settings.clientId }));
  const keyVault: KeyVaultSecretOptions = { credential: { getToken: (scopes, o) => lazyCredential().getToken(scopes, o) }, dispatcher: options.keyVaultDispatcher };
  /** Every secret resolved so far (Key Vault, settings): scrubbed from program output the gates store. */
  const resolvedSecrets = new Set<string>();
  const resolveSecret: ResolveSecret = recordingSecrets(createSecretResolver({ env: { ...startup.env }, keyVault }), resolvedSecrets);

  const registry = new RemoteRegistry(azureRegistryOptions(config, settings, resolveSecret, lazyCredential, { ...options.registryOptions, onEvent: registryMetrics(options.onRegistryEvent ?? options.registryOptions?.onEvent) }));
  const storage = settings.storage;
  const state = new TableStateStore(
    storage.kind === 'connectionString'
      ? { connectionString: storage.connectionString, stateTable: options.tables?.state, auditTable: options.tables?.audit }
      : { endpoint: storage.tableServiceUri, credential: lazyCredential(), stateTable: options.tables?.state, auditTable: options.tables?.audit },
  );
  const encoding = options.messageEncoding ?? readHostQueueSettings().messageEncoding;
  // Azurite starts empty; in Azure the Bicep made the queues and the app's role need not create any.
  const clients = new QueueClients({ service: createQueueService(storage, lazyCredential), names: options.queueNames, createQueues: storage.kind === 'connectionString' });
  const queue = new StorageQueueSender(clients, encoding);
  const poison = new StoragePoisonQueues(clients, encoding);
  const arm = new ArmClients(lazyCredential);

  const byId = new Map(images.map((i) => [i.id, i]));
  const triggers = buildTriggers(images, arm, resolveSecret);
  const webhookSecret = createWebhookSecrets(settings.webhookSecretUris, resolveSecret, keyVault, () => clock.now());
  const promoter = createPromoter(config, registry, arm, resolveSecret);
  const deps = {
    registry,
    state,
    clock,
    promoter,
    gatesFor: (image: { id: string }) => createGates(byId.get(image.id)!.config, { clock, baseDir: config.dir, environment: startup.env, runAcrTask: arm.taskRunner(), secrets: () => [...(config.secrets ?? []), ...resolvedSecrets] }),
    // ARM import takes an index whole: its gates judge every entry (inspectorOptionsFor gives no platform filter then).
    inspect: (job: { image: Pick<ConfiguredImage, 'source' | 'platforms' | 'closureLimits'>; digest: string }) => createImageInspector(registry, job.image.source.withDigest(job.digest), inspectorOptionsFor(job.image, promoter)),
    triggerFor: (dependent: { id: string }, image: { id: string }) => triggers.get(`${image.id}|${dependent.id}`)!,
  };
  const runtime: AzureRuntime = {
    startup,
    images,
    deps,
    state,
    clock,
    queue,
    poison,
    webhookSecret,
    // Through runtime.queue, so that a decorated queue (telemetry, tests) sees detect requests too.
    requestCheck: (r) => runtime.queue.send(newMessage('detect', { imageId: r.imageId, tag: r.tag, reason: r.reason, correlationId: r.correlationId }), r.delaySeconds === undefined ? {} : { delaySeconds: r.delaySeconds }),
    close: async () => {
      await Promise.all([...triggers.values()].map((t) => t.close?.()));
      await state.close();
      await registry.close?.();
    },
  };
  return runtime;
}

/** Remembers every secret value `resolve` returns, so program output can be scrubbed of it (gates/scrub-output.ts). */
function recordingSecrets(resolve: ResolveSecret, seen: Set<string>): ResolveSecret {
  return async (ref) => {
    const value = await resolve(ref);
    seen.add(value);
    return value;
  };
}

/** ARM import into ACR when `target.acr` is set (bytes never pass through the function), else the OCI copy. */
function createPromoter(config: Config, registry: RemoteRegistry, arm: ArmClients, resolveSecret: ResolveSecret): Promoter {
  const target = config.target;
  if (target.kind !== 'registry' || !target.acr) return new CopyPromoter({ source: registry, target: registry });
  const credentials: Record<string, AcrSourceCredentials> = {};
  for (const [host, r] of Object.entries(config.registries)) {
    const password = r.password !== undefined ? { value: r.password } : r.passwordSecret !== undefined ? { keyVaultSecret: r.passwordSecret } : undefined;
    if (password) credentials[host] = { username: r.username !== undefined ? { value: r.username } : undefined, password };
  }
  const { client, registry: acr } = arm.forRegistry(target.acr.resourceId);
  return new AcrImportPromoter({
    client,
    registry: acr,
    sourceRegistry: registry,
    targetRegistry: registry,
    credentials,
    resolveSecret,
    tagLock: target.acr.lockImmutableTags ? new AcrDataPlaneTagLock({ loginServer: target.registry, registry }) : undefined,
  });
}

/** Every dependent's trigger, built now so that a dependent this runtime cannot serve fails at start, not at the first promotion. */
function buildTriggers(images: readonly ConfiguredImage[], arm: ArmClients, resolveSecret: ResolveSecret): Map<string, RebuildTrigger> {
  const triggers = new Map<string, RebuildTrigger>();
  for (const image of images) {
    for (const dependent of image.config.dependents) {
      triggers.set(`${image.id}|${dependent.id}`, createRebuildTrigger(dependent, { resolveSecret, acrTask: (d) => new AcrTaskRebuildTrigger(arm, d), discover: (d) => new AcrDiscoverRebuildTrigger(arm, d) }));
    }
  }
  return triggers;
}
