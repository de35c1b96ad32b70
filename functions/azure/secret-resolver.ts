/**
 * Resolves the secrets basegate's configuration points at: a literal (already substituted from
 * `${VAR}` at load), an environment variable read at use, or a Key Vault secret
 * (`passwordSecret: https://<vault>.vault.azure.net/secrets/<name>`). Key Vault values are
 * cached briefly so that one sync does not read the same secret once per image, yet a rotated
 * secret is picked up within minutes.
 */
import { cached, MemoryCache } from '../cache';
import { ConfigError } from '../errors';
import { getKeyVaultSecret, type KeyVaultSecretOptions } from './key-vault-secret';

/** Where a secret comes from. */
export type SecretRef = { value: string } | { env: string } | { keyVaultSecret: string };

/** Turns a {@link SecretRef} into the secret's value. */
export type ResolveSecret = (ref: SecretRef) => Promise<string>;

/** Options of {@link createSecretResolver}. */
export interface SecretResolverOptions {
  /** The environment read for `{ env }` references; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** How to reach Key Vault; without it a `{ keyVaultSecret }` reference is a configuration error. */
  keyVault?: KeyVaultSecretOptions;
  /** How long a Key Vault value is reused. */
  cacheTtlMs?: number;
}

const DEFAULTS = {
  /** Short enough that a rotation lands within one timer period, long enough to serve a whole sync. */
  cacheTtlMs: 5 * 60_000,
} as const;

/** Creates a resolver over the environment and (optionally) Key Vault. */
export function createSecretResolver(options: SecretResolverOptions = {}): ResolveSecret {
  const env = options.env ?? process.env;
  const ttl = options.cacheTtlMs ?? DEFAULTS.cacheTtlMs;
  const store = new MemoryCache();
  return async (ref) => {
    if ('value' in ref) return ref.value;
    if ('env' in ref) {
      const value = env[ref.env];
      if (value === undefined || value === '') throw new ConfigError(`environment variable ${ref.env} is not set`, { code: 'SECRET_ENV_MISSING' });
      return value;
    }
    const keyVault = options.keyVault;
    if (!keyVault) throw new ConfigError(`secret ${ref.keyVaultSecret} is in Key Vault, but no Azure credential is configured`, { code: 'SECRET_KEY_VAULT_UNCONFIGURED' });
    return cached({ namespace: 'key-vault-secret', key: ref.keyVaultSecret, ttl, store }, () => getKeyVaultSecret(ref.keyVaultSecret, keyVault));
  };
}
