/**
 * The HTTP routes' view of the composed app (contract with functions/handlers/http/). Webhook
 * secrets are never app settings (app-settings.ts): the one shared secret in Key Vault
 * (BASEGATE_WEBHOOK_SECRET_URI) checks every sender that supports a secret.
 */
import type { AzureRuntime } from '../azure/compose-azure';
import type { HttpRuntime } from './http/register-http-routes';

/** The HttpRuntime over the composed Azure runtime. */
export function httpRuntimeOf(runtime: AzureRuntime): HttpRuntime {
  const secret = runtime.webhookSecret;
  return {
    images: runtime.startup.images,
    state: runtime.state,
    clock: runtime.clock,
    requestCheck: (request) => runtime.requestCheck(request),
    webhookSecrets: { generic: secret, acr: secret, dockerhub: secret },
  };
}
