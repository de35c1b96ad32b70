/** How to reach a registry host, with the defaults filled in for hosts the config does not list. */
import type { Config, RegistryConfig } from './config';
import { isLoopbackHost } from './dependent-schema';

/** Defaults for a registry host. */
const DEFAULTS = {
  /** Enough to overlap round trips without tripping per-client limits of public registries. */
  concurrency: 8,
};

/** A registry host's settings with every default decided. */
export interface ResolvedRegistryConfig extends RegistryConfig {
  insecure: boolean;
  concurrency: number;
}

/** The settings for `registry` (a normalised host, as in `ImageRef.registry`): listed ones, else defaults. */
export function registryConfigFor(config: Pick<Config, 'registries'>, registry: string): ResolvedRegistryConfig {
  const listed = config.registries[registry] ?? {};
  const hostname = registry.replace(/:\d+$/, '');
  return {
    ...listed,
    // Loopback is plain http unless said otherwise, like docker's default insecure registries.
    insecure: listed.insecure ?? isLoopbackHost(hostname),
    concurrency: listed.concurrency ?? DEFAULTS.concurrency,
  };
}
