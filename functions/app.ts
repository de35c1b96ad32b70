/**
 * Azure Functions entry (issue #7): only registrations. Start-up reads the app settings and the
 * deployed basegate.yaml and throws on anything wrong, which stops the host from loading any
 * function: a bad config fails loudly here, not at the first message.
 */
import { app } from '@azure/functions';
import { composeAzure, loadAzureStartup } from './azure/compose-azure';
import { apiAuthOf } from './handlers/http/api-auth';
import { httpRuntimeOf } from './handlers/http-runtime';
import { registerHttpRoutes } from './handlers/http/register-http-routes';
import { lazyRuntime } from './handlers/lazy-runtime';
import { registerFunctions } from './handlers/register-functions';
import { registryTelemetry } from './handlers/telemetry-scope';

const startup = loadAzureStartup(process.env);
const runtime = lazyRuntime(() => composeAzure(startup, { onRegistryEvent: registryTelemetry() }));

registerFunctions(app, startup.settings, runtime);
registerHttpRoutes(app, async () => httpRuntimeOf(await runtime()), { auth: apiAuthOf(startup.settings.apiClientId) });
