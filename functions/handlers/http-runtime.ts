/**
 * The HTTP routes' view of the composed app (contract with functions/handlers/http/). Webhook
 * secrets are never app settings (app-settings.ts): each sender's secret is read from Key Vault
 * when a delivery needs it (azure/webhook-secrets.ts).
 */
import type { AzureRuntime } from '../azure/compose-azure';
import { senderRegistries } from '../webhooks/sender-registries';
import type { HttpRuntime } from './http/register-http-routes';

/** The HttpRuntime over the composed Azure runtime. */
export function httpRuntimeOf(runtime: AzureRuntime): HttpRuntime {
  const { images, config } = runtime.startup;
  return {
    images,
    state: runtime.state,
    clock: runtime.clock,
    requestCheck: (request) => runtime.requestCheck(request),
    webhookSecret: runtime.webhookSecret,
    webhooks: config.webhooks,
    senderRegistries: senderRegistries(images, config.webhooks),
  };
}
