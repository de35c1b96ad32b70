/**
 * Each webhook sender's secret (issue #15), read from Key Vault through the secret resolver
 * (secret-resolver.ts: lazily, cached with its TTL, so a rotation is picked up without a restart):
 * one secret per sender kind, so that the secret Docker Hub carries in its URL cannot sign a
 * generic delivery. During a rotation the previous value is accepted too: after `az keyvault
 * secret set` adds a version, deliveries with the value it replaced still pass for
 * {@link ROTATION_GRACE_MS} (or until that version is disabled), the time to update the sender.
 */
import { cached, MemoryCache } from '../cache';
import type { SecretSender, WebhookSecretSource } from '../webhooks/webhook-secret-settings';
import { previousSecretVersion } from './key-vault-secret-versions';
import type { KeyVaultSecretOptions } from './key-vault-secret';
import type { ResolveSecret } from './secret-resolver';

/** How long the replaced value of a rotated secret is still accepted: a day to update every sender. */
export const ROTATION_GRACE_MS = 24 * 3600_000;
/** The version listing is cached as long as the resolver caches values. */
const VERSIONS_TTL_MS = 5 * 60_000;

/** Reads `uris[sender]` through `resolveSecret`, plus its previous version while a rotation is young. */
export function createWebhookSecrets(uris: Partial<Record<SecretSender, string>>, resolveSecret: ResolveSecret, keyVault: KeyVaultSecretOptions | undefined, now: () => Date): WebhookSecretSource {
  const store = new MemoryCache();
  return async (sender) => {
    const uri = uris[sender];
    if (!uri) return undefined;
    const current = await resolveSecret({ keyVaultSecret: uri });
    if (!keyVault) return [current];
    const previousId = await cached({ namespace: 'key-vault-previous-version', key: uri, ttl: VERSIONS_TTL_MS, store }, () => previousSecretVersion(uri, keyVault, now(), ROTATION_GRACE_MS));
    if (!previousId) return [current];
    const previous = await resolveSecret({ keyVaultSecret: previousId });
    return previous === current ? [current] : [current, previous];
  };
}
