/**
 * The registry credential chain, assembled once for both composition roots (cli/compose.ts and
 * azure/compose-azure.ts) in the precedence oci/registry/credential-provider.ts states:
 *
 *   1. `registries:` in basegate.yaml: username + password (literal / `${VAR}`, or a Key Vault
 *      secret in Azure), `auth: azure` (Entra ID), `auth: anonymous`;
 *   1b. what the Azure app's settings add (the Docker Hub account, BASEGATE_DOCKERHUB_*);
 *   2. docker config.json logins and credential helpers (issue #18: one provider, added here);
 *   3. Entra ID for any other ACR login server (*.azurecr.io, .cn, .us).
 */
import type { RegistryConfig } from '../config/config';
import { credentialChain, type CredentialProvider, type RegistryCredential } from '../oci/registry/credential-provider';
import { normaliseHost } from '../oci/registry/options';
import { AcrEntraLogin, type AcrEntraLoginOptions } from './acr-entra-login';

/** Options of {@link registryCredentials}. */
export interface RegistryCredentialsOptions {
  /** The config's `registries:` (keys as the config normalised them: `docker.io`). */
  registries: Readonly<Record<string, RegistryConfig>>;
  /** The password of an entry with a username; its errors (a missing secret) fail that registry's requests only. */
  password(host: string, registry: RegistryConfig): Promise<string>;
  /** Sources after `registries:` (the Azure app's Docker Hub account). */
  settings?: CredentialProvider[];
  /** The Entra ID login, without `hosts` (they come from `registries:`). */
  login: Omit<AcrEntraLoginOptions, 'hosts'>;
}

/** The chain, and the Entra ID login inside it (shared with the tag lock's client). */
export function registryCredentials(options: RegistryCredentialsOptions): { chain: CredentialProvider; login: AcrEntraLogin } {
  const azureHosts: Record<string, { audience?: string }> = {};
  for (const [host, r] of Object.entries(options.registries)) if (r.auth === 'azure') azureHosts[host] = { audience: r.audience };
  const login = new AcrEntraLogin({ ...options.login, hosts: azureHosts });
  const chain = credentialChain([
    configuredRegistries(options.registries, options.password),
    login.configuredProvider(),
    ...(options.settings ?? []),
    // Issue #18: docker config.json logins and credential helpers go here.
    login.implicitProvider(),
  ]);
  return { chain, login };
}

/** `registries:` entries with a username, or `auth: anonymous`. */
function configuredRegistries(registries: Readonly<Record<string, RegistryConfig>>, password: RegistryCredentialsOptions['password']): CredentialProvider {
  const byHost = new Map(Object.entries(registries).map(([host, r]) => [normaliseHost(host), { host, r }]));
  return {
    name: 'registries:',
    async credentialFor(host): Promise<RegistryCredential | undefined> {
      const entry = byHost.get(host);
      if (!entry) return undefined;
      if (entry.r.auth === 'anonymous') return { kind: 'anonymous' };
      if (entry.r.username === undefined) return undefined;
      return { kind: 'basic', username: entry.r.username, password: await password(entry.host, entry.r) };
    },
  };
}
