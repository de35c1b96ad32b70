/**
 * Where each sender's webhook secret comes from, named in every 401 a missing secret causes so the
 * operator knows what to set. No secret is an app setting (config/app-settings.ts): each sender's
 * setting holds the Key Vault URI of its own secret, read with the app's identity when a delivery
 * needs it (azure/webhook-secrets.ts; issue #15: one secret per sender, the previous value
 * accepted during a rotation). Event Grid has none: it signs nothing and sends no custom header by
 * default; its deliveries are authorised by the function key.
 */
import { APP_SETTINGS } from '../config/app-settings';

/** A sender that has its own secret. */
export type SecretSender = 'dockerhub' | 'acr' | 'generic';

/** The secrets a sender's deliveries are checked against, current first, then the previous one during a rotation; undefined when none is configured. */
export type WebhookSecretSource = (sender: SecretSender) => Promise<readonly string[] | undefined>;

/** The app setting that configures each sender's secret. */
export const WEBHOOK_SECRET_SETTINGS: Record<SecretSender, string> = {
  dockerhub: APP_SETTINGS.dockerHubWebhookSecretUri,
  acr: APP_SETTINGS.acrWebhookSecretUri,
  generic: APP_SETTINGS.genericWebhookSecretUri,
};

/** How the 401 tells the operator to configure the secret of `sender`. */
export function secretNotConfigured(sender: SecretSender): string {
  return `no ${sender} webhook secret is configured: set the app setting ${WEBHOOK_SECRET_SETTINGS[sender]} to the Key Vault URI of the ${sender} webhook secret; until then every ${sender} delivery is refused`;
}
