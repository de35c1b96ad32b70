/**
 * Where each sender's webhook secret comes from, named in every 401 a missing secret causes so the
 * operator knows what to set. No secret is an app setting (config/app-settings.ts): the setting
 * holds the Key Vault URI of the secret, and the composition root reads the secret with the app's
 * identity into HttpRuntime.webhookSecrets (functions/handlers/http-runtime.ts: one shared secret
 * for every sender that supports one). Event Grid has none: it signs nothing and sends no custom
 * header by default; its deliveries are authorised by the function key.
 */
import { APP_SETTINGS } from '../config/app-settings';

/** A sender that has its own secret. */
export type SecretSender = 'dockerhub' | 'acr' | 'generic';

/** The app setting that configures the secret of every sender: one shared secret (functions/handlers/http-runtime.ts). */
export const WEBHOOK_SECRET_SETTING = APP_SETTINGS.webhookSecretUri;

/** How the 401 tells the operator to configure the secret of `sender`. */
export function secretNotConfigured(sender: SecretSender): string {
  return `no ${sender} webhook secret is configured: set the app setting ${WEBHOOK_SECRET_SETTING} to the Key Vault URI of the webhook secret; until then every ${sender} delivery is refused`;
}
