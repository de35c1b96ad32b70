/**
 * Which token realms may receive a registry's credentials. The registry names the realm in its
 * `WWW-Authenticate` challenge (https://distribution.github.io/distribution/spec/auth/token/),
 * so a hostile or compromised registry could name any URL and collect the Basic credentials
 * basegate sends there. A realm is accepted only when:
 *
 * 1. it is https, unless the registry itself is reached over plain http (`insecure`, or a
 *    loopback host): credentials never travel in clear to a registry reached over TLS;
 * 2. its host is the registry's own host name (any port: a token server beside the registry,
 *    as distribution's docker_auth setups run it), or a host allowed for that registry:
 *    the built-in {@link KNOWN_TOKEN_REALMS} below, plus `registries.<host>.tokenRealms` in config.
 *
 * Anything else is refused with `AUTH_REALM_REFUSED` naming the realm, before any request to it.
 */
import { RegistryError } from '../../errors';

/** Token realm hosts of the well-known registries, with where each realm is documented. */
export const KNOWN_TOKEN_REALMS: ReadonlyArray<{ registry: RegExp; realmHosts: (registryHost: string) => string[]; why: string }> = [
  // https://docs.docker.com/registry/spec/auth/token/ — `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`.
  { registry: /^registry-1\.docker\.io$/, realmHosts: () => ['auth.docker.io'], why: 'Docker Hub' },
  // GHCR answers `realm="https://ghcr.io/token"`, Quay `realm="https://quay.io/v2/auth"`, MCR its own host.
  { registry: /^(ghcr\.io|quay\.io|mcr\.microsoft\.com)$/, realmHosts: (host) => [host], why: 'GHCR, Quay, MCR' },
  // ACR: `realm="https://<name>.azurecr.io/oauth2/token"` (ACR data-plane spec, /oauth2/token), sovereign clouds alike.
  { registry: /^[a-z0-9-]+\.azurecr\.(io|cn|us)$/, realmHosts: (host) => [host], why: 'Azure Container Registry' },
  // GitLab.com's registry issues tokens from the main site: `realm="https://gitlab.com/jwt/auth"`.
  { registry: /^registry\.gitlab\.com$/, realmHosts: () => ['gitlab.com'], why: 'GitLab.com' },
];

/** What the realm check needs to know about the registry that named the realm. */
export interface RealmPolicy {
  /** The registry host (`ghcr.io`, `127.0.0.1:5000`). */
  host: string;
  /** How the registry itself is reached. */
  scheme: 'http' | 'https';
  /** Configured `tokenRealms`: `auth.example.com` (any port) or `auth.example.com:8443`. */
  tokenRealms: readonly string[];
}

/** Throws `AUTH_REALM_REFUSED` unless `realm` may receive the credentials of `policy.host` (rules in the module header). */
export function checkTokenRealm(realm: URL, policy: RealmPolicy): void {
  const refuse = (why: string): never => {
    throw new RegistryError({
      code: 'AUTH_REALM_REFUSED',
      message: `registry ${policy.host} named token realm ${realm.origin}${realm.pathname}, refused: ${why}`,
      method: 'GET',
      url: realm.toString(),
      temporary: false,
    });
  };
  if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && policy.scheme === 'http')) {
    refuse(`a ${policy.scheme} registry gets its tokens over https only`);
  }
  if (!allowedRealmHosts(policy).some((allowed) => matchesHost(realm, allowed))) {
    refuse(`${realm.host} is neither the registry's host nor allowed for it (add it to registries["${policy.host}"].tokenRealms if it is the registry's token service)`);
  }
}

/** The realm hosts allowed for a registry: its own host name, the built-in ones, the configured ones. */
export function allowedRealmHosts(policy: RealmPolicy): string[] {
  const hostname = new URL(`http://${policy.host}`).hostname;
  const builtIn = KNOWN_TOKEN_REALMS.filter((k) => k.registry.test(policy.host)).flatMap((k) => k.realmHosts(policy.host));
  return [hostname, ...builtIn, ...policy.tokenRealms.map((h) => h.toLowerCase())];
}

/** `auth.example.com` matches any port of that host; `auth.example.com:8443` only that port. */
function matchesHost(url: URL, allowed: string): boolean {
  const withPort = /:\d+$/.test(allowed) && !allowed.endsWith(']');
  return withPort ? url.host === allowed || `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}` === allowed : url.hostname === allowed;
}
