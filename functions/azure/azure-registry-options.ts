/**
 * The registry client options of the Functions app: the config's `registries:` limits, and the
 * credential chain (registry-credentials.ts) with the app's own sources: `passwordSecret`s read
 * from Key Vault when a request needs them (the resolver keeps them for its TTL), the Docker Hub
 * account of the app settings (BASEGATE_DOCKERHUB_USERNAME + the token's secret URI), and Entra
 * ID with the app's managed identity for ACR login servers (the base registry among them).
 */
import type { AppSettings } from '../config/app-settings';
import type { Config } from '../config/config';
import type { CredentialProvider } from '../oci/registry/credential-provider';
import type { RegistryClientOptions, RegistryHostOptions } from '../oci/registry/options';
import { DOCKER_HUB_API } from '../oci/reference';
import type { TokenCredential } from './azure-credential';
import { registryCredentials } from './registry-credentials';
import type { ResolveSecret } from './secret-resolver';

/** Host options for every configured registry, and the credential chain. */
export function azureRegistryOptions(config: Config, settings: AppSettings, resolveSecret: ResolveSecret, credential: () => TokenCredential, extra: RegistryClientOptions = {}): RegistryClientOptions {
  const hosts: Record<string, RegistryHostOptions> = {};
  for (const [host, r] of Object.entries(config.registries)) hosts[host] = { insecure: r.insecure, concurrency: r.concurrency, minRemaining: r.minRemaining, tokenRealms: r.tokenRealms, maxTags: r.maxTags };
  const { chain } = registryCredentials({
    registries: config.registries,
    password: (_host, r) => (r.password !== undefined ? Promise.resolve(r.password) : resolveSecret({ keyVaultSecret: r.passwordSecret! })),
    settings: settings.dockerHub ? [dockerHubAccount(settings.dockerHub, resolveSecret)] : [],
    login: { credential },
  });
  return { ...extra, hosts: { ...hosts, ...(extra.hosts ?? {}) }, credentials: extra.credentials ?? chain };
}

/** The Docker Hub account of the app settings (the config's own `docker.io` entry comes first in the chain: it is the more specific statement). */
function dockerHubAccount(hub: NonNullable<AppSettings['dockerHub']>, resolveSecret: ResolveSecret): CredentialProvider {
  return {
    name: 'app settings (Docker Hub)',
    async credentialFor(host) {
      if (host !== DOCKER_HUB_API) return undefined;
      return { kind: 'basic', username: hub.username, password: await resolveSecret({ keyVaultSecret: hub.tokenSecretUri }) };
    },
  };
}
