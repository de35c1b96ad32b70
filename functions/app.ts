/**
 * Azure Functions entry (issue #7): only registrations. Start-up reads the app settings and the
 * deployed basegate.yaml and throws on anything wrong, which stops the host from loading any
 * function: a bad config fails loudly here, not at the first message.
 *
 * Cold start (issue #20): loading this file costs the check and the registrations only. The
 * composition root (functions/azure/compose-azure.ts: the Azure SDKs, the registry client, the
 * copier, gates, rebuild triggers) is loaded by the first invocation that needs it.
 */
import { app } from '@azure/functions';
import type * as ComposeAzure from './azure/compose-azure';
import { loadAzureStartup } from './azure/azure-startup';
import { apiAuthOf } from './handlers/http/api-auth';
import { httpRuntimeOf } from './handlers/http-runtime';
import { registerHttpRoutes } from './handlers/http/register-http-routes';
import { lazyRuntime } from './handlers/lazy-runtime';
import { registerFunctions } from './handlers/register-functions';
import { registryTelemetry } from './handlers/telemetry-scope';

const startup = loadAzureStartup(process.env);
// Deprecated settings still in use: said once per instance start, in the host log.
for (const warning of startup.settings.warnings) console.warn(`basegate: ${warning}`);
// Loaded on first use (see above); a `require` so that the compiled CommonJS resolves it like every other module.
const runtime = lazyRuntime(async () => (require('./azure/compose-azure') as typeof ComposeAzure).composeAzure(startup, { onRegistryEvent: registryTelemetry() }));

registerFunctions(app, startup.settings, runtime);
registerHttpRoutes(app, async () => httpRuntimeOf(await runtime()), { auth: apiAuthOf(startup.settings.apiClientId) });
