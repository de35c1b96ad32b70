/**
 * Builds the client's HTTP stack in one place, outermost first (each layer one file):
 *
 *   retry ─ rate budget ─ auth ─ redirects ─ concurrency ─ stats ─ user agent ─ undici
 *
 * - retry is outermost so that each attempt is budgeted, authenticated and counted anew;
 * - the rate budget sees every attempt's answer (a 429 carries fresh rate-limit headers);
 * - auth sits outside redirects, which drop `authorization` when they leave the registry;
 * - concurrency bounds what reaches the wire, and stats count exactly what does.
 */
import { MemoryCache } from '../../cache';
import { authenticate } from './auth';
import { concurrencyLimit } from './concurrency';
import { Dispatchers, undiciTransport } from './dispatcher';
import type { Decorator, Transport } from './http';
import { normaliseHost, type ResolvedRegistryClientOptions } from './options';
import { RateBudget, type RateLimit } from './rate-budget';
import { followRedirects } from './redirect';
import { retryRequests } from './retry';
import { TrafficCounter, type RegistryStats } from './stats';
import { userAgent } from './user-agent';

/** The composed transport of one client, and what it observed. */
export interface RegistryTransport {
  send: Transport;
  /** Latest rate-limit reading of a registry host. */
  rateLimit(host: string): RateLimit | undefined;
  stats(): RegistryStats;
  /** Closes the connection pools. */
  close(): Promise<void>;
}

/** Composes the decorators over undici for one client's options. */
export function buildTransport(options: ResolvedRegistryClientOptions): RegistryTransport {
  const dispatchers = new Dispatchers(options);
  const budget = new RateBudget((host) => options.host(host).minRemaining, options.onEvent);
  const traffic = new TrafficCounter(options.onEvent);
  const tokens = new MemoryCache();
  const layers: Decorator[] = [
    retryRequests(options.retry, options.onEvent),
    budget.decorator(),
    authenticate(options, tokens),
    followRedirects(),
    concurrencyLimit((host) => options.host(host).concurrency),
    traffic.decorator(),
    userAgent(options.userAgent),
  ];
  const send = layers.reduceRight<Transport>((inner, layer) => layer(inner), undiciTransport(dispatchers));
  return {
    send,
    rateLimit: (host) => budget.latest(normaliseHost(host)),
    stats: () => traffic.snapshot(),
    close: () => dispatchers.close(),
  };
}
