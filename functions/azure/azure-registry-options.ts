/**
 * The registry client options of the Functions app: the config's `registries:` with their
 * `passwordSecret` read from Key Vault, and the Docker Hub account of the app settings
 * (BASEGATE_DOCKERHUB_USERNAME + the token's secret URI). Secrets are read once, when the runtime
 * is composed: a rotated secret reaches the app at its next start (instances recycle often).
 */
import type { AppSettings } from '../config/app-settings';
import type { Config } from '../config/config';
import type { RegistryClientOptions, RegistryHostOptions } from '../oci/registry/options';
import type { ResolveSecret } from './secret-resolver';

/** Host options for every configured registry, secrets resolved. */
export async function azureRegistryOptions(config: Config, settings: AppSettings, resolveSecret: ResolveSecret, extra: RegistryClientOptions = {}): Promise<RegistryClientOptions> {
  const hosts: Record<string, RegistryHostOptions> = {};
  for (const [host, r] of Object.entries(config.registries)) {
    const password = r.password ?? (r.passwordSecret ? await resolveSecret({ keyVaultSecret: r.passwordSecret }) : undefined);
    hosts[host] = { username: r.username, password, insecure: r.insecure, concurrency: r.concurrency, minRemaining: r.minRemaining, tokenRealms: r.tokenRealms, maxTags: r.maxTags };
  }
  const hub = settings.dockerHub;
  // The config's own Docker Hub credentials win: they are the more specific statement.
  if (hub && hosts['docker.io']?.password === undefined) {
    hosts['docker.io'] = { ...hosts['docker.io'], username: hub.username, password: await resolveSecret({ keyVaultSecret: hub.tokenSecretUri }) };
  }
  return { ...extra, hosts: { ...hosts, ...(extra.hosts ?? {}) } };
}
