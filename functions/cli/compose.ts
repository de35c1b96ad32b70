/**
 * The CLI's composition root: one place that turns a config file into the pipeline's
 * dependencies (registries, state, promoter, gates, rebuild triggers). Commands take what
 * they need from here and nothing else builds adapters.
 */
import * as path from 'node:path';
import type { Config } from '../config/config';
import { loadConfig } from '../config/load-config';
import type * as azureCredential from '../azure/azure-credential';
import { registryCredentials } from '../azure/registry-credentials';
import { trackedImages, type ConfiguredImage } from '../config/tracked-images';
import { createImageInspector, inspectorOptionsFor } from '../gates/image-inspector';
import { loadBlobLocations, saveBlobLocations } from '../oci/blob-locations-file';
import { CopyPromoter } from '../oci/copy-promoter';
import { LayoutRegistry } from '../oci/layout/layout-registry';
import { RemoteRegistry } from '../oci/registry/remote-registry';
import { UpstreamCacheRegistry } from '../oci/upstream-cache-registry';
import { cacheRoutesOf } from '../config/upstream-cache';
import type { RegistryClientOptions } from '../oci/registry/options';
import type { Registry } from '../oci/registry-port';
import type { Clock, StateStore } from '../pipeline/ports';
import { systemClock } from '../pipeline/ports';
import type { SyncDeps } from '../pipeline/sync';
import { FileStateStore } from '../state/file-state-store';
import { clockFromEnvironment } from './env-clock';
import { stageBuilders } from './stage-builders';
import { ConfigError } from '../errors';
import { registryMetrics } from '../telemetry/registry-metrics';

export interface ComposeOptions {
  configFile: string;
  /** State file; default `.basegate/state.json` beside the config. */
  stateFile?: string;
  /** Take no lock and write nothing (check, status). */
  readOnly?: boolean;
  /** Default: `BASEGATE_NOW` from `env` when set (functions/cli/env-clock.ts), else the system clock. */
  clock?: Clock;
  signal?: AbortSignal;
  /** Build every gate and rebuild trigger before anything is touched, so a config only they refuse exits 2 (sync, watch). */
  buildStages?: boolean;
  env?: Record<string, string | undefined>;
  /** Extra client options (tests pass small retry delays). */
  registryOptions?: RegistryClientOptions;
}

export interface CliRuntime {
  config: Config;
  images: ConfiguredImage[];
  /** Reads upstream registries. */
  source: Registry;
  /** Writes the base-image registry or layout. */
  target: Registry;
  state: StateStore;
  deps: SyncDeps;
  close(): Promise<void>;
}

/** Default state file of a config. */
export function defaultStateFile(configFile: string): string {
  return path.join(path.dirname(path.resolve(configFile)), '.basegate', 'state.json');
}

/** The registry client options a config asks for: limits per host, and the credential chain (functions/azure/registry-credentials.ts). */
export function registryClientOptions(config: Config, extra: RegistryClientOptions = {}): RegistryClientOptions {
  const hosts: NonNullable<RegistryClientOptions['hosts']> = {};
  for (const [host, r] of Object.entries(config.registries)) {
    if (r.passwordSecret) throw new ConfigError('passwordSecret (Key Vault) is read by the Azure Functions app; on the CLI give password: ${VAR}', { file: config.file, path: `registries["${host}"].passwordSecret`, code: 'CONFIG_UNSUPPORTED' });
    hosts[host] = { insecure: r.insecure, concurrency: r.concurrency, minRemaining: r.minRemaining, tokenRealms: r.tokenRealms, maxTags: r.maxTags };
  }
  const { chain } = registryCredentials({
    registries: config.registries,
    password: async (_host, r) => r.password ?? '',
    // DefaultAzureCredential (az login, environment, workload identity), loaded only when an ACR is met.
    login: { credential: () => (require('../azure/azure-credential') as typeof azureCredential).createAzureCredential() },
  });
  // Registry metrics (telemetry/metrics.ts) are no-ops unless serve or OTEL_* settings started an SDK.
  return { ...extra, hosts: { ...hosts, ...(extra.hosts ?? {}) }, credentials: extra.credentials ?? chain, onEvent: registryMetrics(extra.onEvent) };
}

/** Builds everything a CLI command needs from a config file. */
export async function composeCli(options: ComposeOptions): Promise<CliRuntime> {
  const environment = options.env ?? process.env;
  const config = await loadConfig(options.configFile, environment);
  const images = trackedImages(config);
  const clock = options.clock ?? clockFromEnvironment(environment) ?? systemClock;
  const stages = stageBuilders(config, images, { clock, environment });
  if (options.buildStages) stages.buildAll();
  const source = new RemoteRegistry(registryClientOptions(config, options.registryOptions));
  const target: Registry = config.target.kind === 'layout' ? new LayoutRegistry() : source;
  // Candidates' manifests and blobs by digest through the quarantine cache (issue #22); detect, tag lists and referrers from upstream.
  const reads = config.upstreamCache ? new UpstreamCacheRegistry(source, cacheRoutesOf(config.images)) : undefined;
  const stateFile = options.stateFile ?? defaultStateFile(config.file);
  const state = await FileStateStore.open(stateFile, { readOnly: options.readOnly });
  // Where blobs were put by earlier runs, kept beside the state: a later sync mounts a shared base layer instead of uploading it again.
  const blobsFile = path.join(path.dirname(stateFile), 'blob-locations.json');
  const blobLocations = loadBlobLocations(blobsFile);
  const promoter = new CopyPromoter({ source: reads ?? source, target, blobLocations, signal: options.signal });
  const deps: SyncDeps = {
    registry: source,
    state,
    clock,
    signal: options.signal,
    promoter,
    gatesFor: stages.gatesFor,
    // The gates judge what this promoter writes: the platforms it keeps, within the image's closure bounds.
    inspect: (job) => createImageInspector(reads ?? source, job.image.source.withDigest(job.digest), inspectorOptionsFor(job.image, promoter)),
    ...(reads ? { pullRef: (ref) => reads.cacheRef(ref) ?? ref } : {}),
    triggerFor: stages.triggerFor,
  };
  return {
    config,
    images,
    source,
    target,
    state,
    deps,
    close: async () => {
      if (!options.readOnly) saveBlobLocations(blobsFile, blobLocations);
      await state.close();
      await source.close?.();
    },
  };
}
