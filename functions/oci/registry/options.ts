/**
 * Options of the Distribution API client: credentials and limits per host, timeouts, retry
 * policy, user agent, an event listener. One interface, one resolver, one `DEFAULTS`.
 *
 * Scheme: loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) are plain http by default, as
 * docker treats them as insecure registries; every other host is https unless `insecure`.
 */
import { ConfigError } from '../../errors';
import { DOCKER_HUB, DOCKER_HUB_API } from '../reference';
import { credentialChain, staticCredentials, type CredentialProvider } from './credential-provider';
import type { RegistryEventListener } from './events';

/** Credentials and limits of one registry host. */
export interface RegistryHostOptions {
  /** Basic credentials, also sent to the token realm of a Bearer challenge. */
  username?: string;
  password?: string;
  /** A registry access token sent as is (`Authorization: Bearer`), without a token exchange. */
  token?: string;
  /** Plain http instead of https. Loopback hosts default to true, others to false. */
  insecure?: boolean;
  /** Requests in flight (until response headers) to this host at once. */
  concurrency?: number;
  /** Keep this many pulls of the host's rate limit (`ratelimit-remaining`) in reserve: GETs of manifests and blobs are refused below it. */
  minRemaining?: number;
  /** Token realm hosts this registry may send its credentials to, beyond its own host and the built-in ones (token-realm.ts). */
  tokenRealms?: string[];
  /** A tag listing longer than this fails (`TAG_LIST_TOO_LONG`) instead of growing without bound. */
  maxTags?: number;
}

/** Timeouts applied to every request, in milliseconds. */
export interface RegistryTimeouts {
  /** TCP + TLS connection set-up. */
  connectMs?: number;
  /** From the request being sent to the response headers. */
  headersMs?: number;
  /** Idle time between two chunks of a response body (not the whole transfer). */
  bodyMs?: number;
}

/** Retry policy for 429, 5xx and network errors. */
export interface RegistryRetryOptions {
  /** Attempts in total, the first included. */
  maxAttempts?: number;
  /** First backoff ceiling; doubles each attempt (full jitter picks in [0, ceiling)). */
  baseDelayMs?: number;
  /** Backoff ceiling never exceeds this. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for in-process: the error goes up as temporary (a requeue delay). */
  maxRetryAfterMs?: number;
}

/** Options of {@link RemoteRegistry}. */
export interface RegistryClientOptions {
  /** Per host (`ghcr.io`, `127.0.0.1:5000`; `docker.io` means `registry-1.docker.io`). */
  hosts?: Record<string, RegistryHostOptions>;
  timeouts?: RegistryTimeouts;
  retry?: RegistryRetryOptions;
  userAgent?: string;
  /** CA certificates (PEM) trusted instead of Node's bundled ones, for registries behind a private CA (a CLI run can set NODE_EXTRA_CA_CERTS instead). */
  ca?: string | string[];
  /** Observability: every exchange, retry, throttle and rate-limit reading. */
  onEvent?: RegistryEventListener;
  /** Where credentials come from after `hosts` (credential-provider.ts: `registries:`, docker config, Entra ID for ACR). */
  credentials?: CredentialProvider;
}

/** A host's options with every default filled in. */
export interface ResolvedHostOptions {
  username?: string;
  password?: string;
  token?: string;
  scheme: 'http' | 'https';
  concurrency: number;
  minRemaining: number;
  tokenRealms: string[];
  maxTags: number;
}

/** {@link RegistryClientOptions} with every default filled in. */
export interface ResolvedRegistryClientOptions {
  hosts: Record<string, RegistryHostOptions>;
  timeouts: Required<RegistryTimeouts>;
  retry: Required<RegistryRetryOptions>;
  userAgent: string;
  ca?: string | string[];
  onEvent?: RegistryEventListener;
  /** The credential chain: `hosts` first, then the `credentials` given (hosts are normalised before asking). */
  credentials: CredentialProvider;
  /** Options of one host (defaults for hosts not configured). */
  host(host: string): ResolvedHostOptions;
}

/** Defaults of the registry client, each with its reason. */
export const DEFAULTS = {
  /** A TLS handshake to a healthy registry takes well under a second; 10 s rides out a slow network. */
  connectMs: 10_000,
  /** Registries compute digests and hit storage before answering; Docker Hub's slow path stays under 30 s. */
  headersMs: 30_000,
  /** Idle time between body chunks: a stalled blob download fails in a minute instead of hanging. */
  bodyMs: 60_000,
  /** Four tries ride out a brief outage without hiding a persistent one. */
  maxAttempts: 4,
  /** 200 ms, 400 ms, 800 ms ceilings: quick enough for a blip, slow enough to relieve a struggling host. */
  baseDelayMs: 200,
  /** No in-process backoff longer than 10 s: longer waits belong to the queue (a requeue delay). */
  maxDelayMs: 10_000,
  /** Wait in-process for a Retry-After up to 60 s; beyond that requeueing is cheaper than holding a function instance. */
  maxRetryAfterMs: 60_000,
  /** docker pulls 3 layers at once, containerd more; 8 keeps copies quick without tripping registry abuse limits. */
  concurrency: 8,
  /** No reserve unless asked: a 429 from the registry itself is handled as a delay anyway. */
  minRemaining: 0,
  /** 100,000 tags is far beyond any real repository (Docker Hub's busiest have a few thousand) and bounds a hostile listing to ~13 MB. */
  maxTags: 100_000,
  /** Names the client in registry logs (Docker Hub asks clients to identify themselves). */
  userAgent: 'basegate/0.1',
} as const;

/** Fills in defaults and refuses contradictory or impossible options. */
export function resolveRegistryClientOptions(options: RegistryClientOptions = {}): ResolvedRegistryClientOptions {
  const hosts: Record<string, RegistryHostOptions> = {};
  for (const [key, host] of Object.entries(options.hosts ?? {})) {
    const name = normaliseHost(key);
    const where = `hosts[${JSON.stringify(key)}]`;
    if (hosts[name]) throw new ConfigError(`host ${name} is configured twice`, { path: where });
    if (host.token !== undefined && (host.username !== undefined || host.password !== undefined)) {
      throw new ConfigError('give either a token or a username and password, not both', { path: where });
    }
    if ((host.username === undefined) !== (host.password === undefined)) {
      throw new ConfigError('username and password go together', { path: where });
    }
    positiveInteger(host.concurrency, `${where}.concurrency`);
    if (host.minRemaining !== undefined && !(Number.isInteger(host.minRemaining) && host.minRemaining >= 0)) {
      throw new ConfigError(`expected an integer >= 0, got ${host.minRemaining}`, { path: `${where}.minRemaining` });
    }
    positiveInteger(host.maxTags, `${where}.maxTags`);
    for (const [i, realm] of (host.tokenRealms ?? []).entries()) {
      if (!REALM_HOST.test(realm)) throw new ConfigError(`expected a host or host:port such as auth.example.com, got ${JSON.stringify(realm)}`, { path: `${where}.tokenRealms[${i}]` });
    }
    hosts[name] = host;
  }
  const timeouts = {
    connectMs: options.timeouts?.connectMs ?? DEFAULTS.connectMs,
    headersMs: options.timeouts?.headersMs ?? DEFAULTS.headersMs,
    bodyMs: options.timeouts?.bodyMs ?? DEFAULTS.bodyMs,
  };
  for (const [k, v] of Object.entries(timeouts)) positiveInteger(v, `timeouts.${k}`);
  const retry = {
    maxAttempts: options.retry?.maxAttempts ?? DEFAULTS.maxAttempts,
    baseDelayMs: options.retry?.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
  };
  positiveInteger(retry.maxAttempts, 'retry.maxAttempts');
  for (const k of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!(Number.isFinite(retry[k]) && retry[k] >= 0)) throw new ConfigError(`expected a number >= 0, got ${retry[k]}`, { path: `retry.${k}` });
  }
  if (retry.baseDelayMs > retry.maxDelayMs) {
    throw new ConfigError(`baseDelayMs (${retry.baseDelayMs}) exceeds maxDelayMs (${retry.maxDelayMs})`, { path: 'retry' });
  }
  const userAgent = options.userAgent ?? DEFAULTS.userAgent;
  if (!userAgent || /[\r\n]/.test(userAgent)) throw new ConfigError('expected a one-line, non-empty string', { path: 'userAgent' });
  return {
    hosts,
    timeouts,
    retry,
    userAgent,
    ca: options.ca,
    onEvent: options.onEvent,
    credentials: credentialChain([staticCredentials(hosts), ...(options.credentials ? [options.credentials] : [])]),
    host(host: string): ResolvedHostOptions {
      const name = normaliseHost(host);
      const o = hosts[name] ?? {};
      const insecure = o.insecure ?? isLoopback(name);
      return {
        username: o.username,
        password: o.password,
        token: o.token,
        scheme: insecure ? 'http' : 'https',
        concurrency: o.concurrency ?? DEFAULTS.concurrency,
        minRemaining: o.minRemaining ?? DEFAULTS.minRemaining,
        tokenRealms: o.tokenRealms ?? [],
        maxTags: o.maxTags ?? DEFAULTS.maxTags,
      };
    },
  };
}

/** A host name or `[v6]`, with an optional port: no scheme, no path. */
const REALM_HOST = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** Lowercases a host and maps Docker Hub's names to its API host. */
export function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  return lower === DOCKER_HUB || lower === 'index.docker.io' ? DOCKER_HUB_API : lower;
}

/** True for `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

function positiveInteger(value: number | undefined, path: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new ConfigError(`expected an integer >= 1, got ${value}`, { path });
}
