/**
 * The Functions app's queue side composed for a test: a basegate.yaml in a temp dir, the Azure
 * composition root over Azurite (the shared one with queue and table names of the test's own,
 * or a given connection string), the functions registered on a recorder, and a queue host that
 * drains the queues into the registered handlers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Timer } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import type { Dispatcher } from 'undici';
import { composeAzure, loadAzureStartup, type AzureRuntime } from '../../functions/azure/compose-azure';
import { DEFAULT_QUEUE_NAMES, type QueueNames } from '../../functions/azure/queue-clients';
import { apiAuthOf } from '../../functions/handlers/http/api-auth';
import { httpRuntimeOf } from '../../functions/handlers/http-runtime';
import { registerHttpRoutes, type HttpRuntime } from '../../functions/handlers/http/register-http-routes';
import { registerFunctions } from '../../functions/handlers/register-functions';
import { registryTelemetry } from '../../functions/handlers/telemetry-scope';
import type { PipelineMessage } from '../../functions/pipeline/messages';
import type { Clock } from '../../functions/pipeline/ports';
import { testEnv } from '../servers/test-env';
import { staticCredential } from './static-credential';
import { QueueHost } from './queue-host';
import { recordingApp, type RecordingApp } from './recording-app';

export interface FunctionsAppFixture {
  dir: string;
  runtime: AzureRuntime;
  recorder: RecordingApp;
  host: QueueHost;
  service: QueueServiceClient;
  names: QueueNames;
  /** Every message the app sent, in order. */
  sent: PipelineMessage[];
  /** The queue and table names' prefix, shared by instances of one app (`instanceOf`). */
  storageId: string;
  /** What the registered HTTP routes are served with (httpRuntimeOf the composed app, with the fixture's overrides). */
  http: HttpRuntime;
  /** Invokes a registered timer with a real InvocationContext. */
  runTimer(name: string): Promise<void>;
  cleanup(): void;
}

export interface FixtureOptions {
  /** basegate.yaml text. */
  config: string;
  /** Extra environment for `${VAR}` in the config. */
  env?: Record<string, string>;
  /** Azurite of the test's own, with the default queue and table names; default: the shared one with unique names. */
  connectionString?: string;
  /** Replaces parts of the HTTP runtime (a clock). */
  http?: Partial<HttpRuntime>;
  /** A Key Vault (the contract fake) the app reads its secrets from, with the token it accepts. */
  keyVault?: { dispatcher: Dispatcher; token: string };
  /** Passed to composeAzure (a clock under the test's control). */
  clock?: Clock;
  /** Another instance of the same app: share its queues and tables (and temp dir's config text), as instances in Azure do. */
  instanceOf?: FunctionsAppFixture;
}

/** A timer firing on schedule. */
function timerTick(isPastDue = false): Timer {
  const now = new Date().toISOString();
  return { isPastDue, schedule: { adjustForDST: true }, scheduleStatus: { last: now, next: now, lastUpdated: now } };
}

/** Composes and registers the app for one test. */
export async function functionsAppFixture(options: FixtureOptions): Promise<FunctionsAppFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-functions-'));
  const configPath = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(configPath, options.config);
  const connectionString = options.connectionString ?? testEnv().azurite.connectionString;
  const own = options.connectionString !== undefined;
  const id = options.instanceOf?.storageId ?? `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const names: QueueNames = own ? DEFAULT_QUEUE_NAMES : { validate: `${id}-validate`, promote: `${id}-promote`, rebuild: `${id}-rebuild` };
  const startup = loadAzureStartup({ ...options.env, BASEGATE_CONFIG_PATH: configPath, AzureWebJobsStorage: connectionString }, { appRoot: dir });
  const runtime = await composeAzure(startup, {
    queueNames: names,
    tables: own ? undefined : { state: `${id}state`, audit: `${id}audit` },
    registryOptions: { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 } },
    onRegistryEvent: registryTelemetry(),
    // Never DefaultAzureCredential in a test: it would try the managed-identity endpoint off loopback.
    credential: staticCredential(options.keyVault?.token ?? 'no-azure-in-tests'),
    keyVaultDispatcher: options.keyVault?.dispatcher,
    clock: options.clock,
  });
  const sent: PipelineMessage[] = [];
  const real = runtime.queue;
  runtime.queue = { send: (message, o) => (sent.push(message), real.send(message, o)) };

  const recorder = recordingApp();
  registerFunctions(recorder.app, startup.settings, async () => runtime);
  const http: HttpRuntime = { ...httpRuntimeOf(runtime), ...options.http };
  registerHttpRoutes(recorder.app, async () => http, { auth: apiAuthOf(startup.settings.apiClientId) });
  const service = QueueServiceClient.fromConnectionString(connectionString);
  const byRegisteredName: Record<string, string> = { [DEFAULT_QUEUE_NAMES.validate]: names.validate, [DEFAULT_QUEUE_NAMES.promote]: names.promote, [DEFAULT_QUEUE_NAMES.rebuild]: names.rebuild };
  const host = new QueueHost(
    service,
    [...recorder.queues].map(([functionName, o]) => ({ functionName, queueName: byRegisteredName[o.queueName], handler: o.handler })),
  );
  return {
    dir,
    runtime,
    recorder,
    host,
    service,
    names,
    sent,
    storageId: id,
    http,
    runTimer: async (name) => {
      const timer = recorder.timers.get(name);
      if (!timer) throw new Error(`no timer ${name} registered`);
      await timer.handler(timerTick(), host.context(name));
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Reads a queue's waiting messages as the host would hand them over (base64-decoded JSON). */
export async function peekDecoded(service: QueueServiceClient, queue: string): Promise<unknown[]> {
  const { peekedMessageItems } = await service.getQueueClient(queue).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
}
