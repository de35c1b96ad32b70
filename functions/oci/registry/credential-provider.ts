/**
 * Registry credentials by provider: the port the auth layer (auth.ts) asks, per registry host,
 * what to log in with. A provider answers with one of three kinds, after docker's AuthConfig
 * (https://github.com/docker/cli/blob/master/cli/config/types/authconfig.go):
 *
 * - `basic`: a username and password, sent to a Basic registry or to the token realm of a
 *   Bearer challenge (`GET realm?service&scope`, distribution's token spec);
 * - `token`: a registry access token sent as is (`Authorization: Bearer`), no challenge asked;
 * - `refresh-token`: an OAuth2 refresh token (docker's `identitytoken`; ACR's refresh token from
 *   `POST /oauth2/exchange`), traded at the realm with `POST realm` form
 *   `grant_type=refresh_token&service&scope&refresh_token` for a repository-scoped access token
 *   (https://distribution.github.io/distribution/spec/auth/oauth/). The refresh token is fetched
 *   lazily, with the challenge, so a provider can check the realm before it sends anything.
 *
 * Sources, in precedence order; the first that answers for a host wins, none means anonymous:
 *   1. `registries:` in basegate.yaml: username/password (literal, `${VAR}`, or a Key Vault secret
 *      in Azure), or `auth: azure`, or `auth: anonymous` (stops the chain);
 *   2. docker config.json logins and credential helpers (issue #18);
 *   3. the implicit Entra ID login for ACR login servers (`*.azurecr.io` and the sovereign
 *      suffixes) that (1) and (2) say nothing about (functions/azure/acr-entra-login.ts).
 * The chain is assembled in one place for both composition roots:
 * functions/azure/registry-credentials.ts. A new source is one file implementing
 * {@link CredentialProvider} plus one line there.
 */
import type { RegistryHostOptions } from './options';

/** What a Bearer challenge said, as a `refresh-token` credential sees it. */
export interface TokenChallenge {
  /** The registry host the request went to (`contosobase.azurecr.io`). */
  host: string;
  /** The challenge's `realm`, parsed. */
  realm: URL;
  /** The challenge's `service` ('' when absent). */
  service: string;
}

/** What to log in to one registry host with. */
export type RegistryCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; token: string }
  | {
      kind: 'refresh-token';
      /** The refresh token to trade at `challenge.realm`. */
      refreshToken(challenge: TokenChallenge): Promise<string>;
      /** Forget a cached refresh token the realm refused, so the next call gets a new one. */
      invalidate?(): void;
    }
  | { kind: 'anonymous' };

/** Answers, for a host, with a credential, or undefined to let the next source answer. */
export interface CredentialProvider {
  /** Names the source in messages (`registries:`, `docker config`, `Entra ID`). */
  readonly name: string;
  credentialFor(host: string): Promise<RegistryCredential | undefined>;
}

/** Asks each provider in turn; the first answer wins (`anonymous` is an answer too). */
export function credentialChain(providers: readonly CredentialProvider[]): CredentialProvider {
  return {
    name: providers.map((p) => p.name).join(', '),
    async credentialFor(host) {
      for (const provider of providers) {
        const credential = await provider.credentialFor(host);
        if (credential) return credential;
      }
      return undefined;
    },
  };
}

/** The credentials of the client options' `hosts` (tests and embedders set them directly). Keys are normalised hosts. */
export function staticCredentials(hosts: Readonly<Record<string, RegistryHostOptions>>): CredentialProvider {
  return {
    name: 'client options',
    async credentialFor(host) {
      const o = hosts[host];
      if (o?.token !== undefined) return { kind: 'token', token: o.token };
      if (o?.username !== undefined) return { kind: 'basic', username: o.username, password: o.password ?? '' };
      return undefined;
    },
  };
}
