/**
 * The CLI's composition root: one place that turns a config file into the pipeline's
 * dependencies (registries, state, promoter, gates, rebuild triggers). Commands take what
 * they need from here and nothing else builds adapters.
 */
import * as path from 'node:path';
import type { Config } from '../config/config';
import { loadConfig } from '../config/load-config';
import { trackedImages, type ConfiguredImage } from '../config/tracked-images';
import { createGates } from '../gates/create-gates';
import { createImageInspector } from '../gates/image-inspector';
import { CopyPromoter } from '../oci/copy-promoter';
import { LayoutRegistry } from '../oci/layout/layout-registry';
import { RemoteRegistry } from '../oci/registry/remote-registry';
import type { RegistryClientOptions } from '../oci/registry/options';
import type { Registry } from '../oci/registry-port';
import type { Clock, RebuildTrigger, StateStore } from '../pipeline/ports';
import { systemClock } from '../pipeline/ports';
import type { SyncDeps } from '../pipeline/sync';
import type { DependentSpec, TrackedImage } from '../pipeline/tracked-image';
import { createRebuildTrigger } from '../rebuild/create-rebuild-trigger';
import { FileStateStore } from '../state/file-state-store';
import { ConfigError } from '../errors';

export interface ComposeOptions {
  configFile: string;
  /** State file; default `.basegate/state.json` beside the config. */
  stateFile?: string;
  /** Take no lock and write nothing (check, status). */
  readOnly?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
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

/** The registry client options a config asks for. */
export function registryClientOptions(config: Config, extra: RegistryClientOptions = {}): RegistryClientOptions {
  const hosts: NonNullable<RegistryClientOptions['hosts']> = {};
  for (const [host, r] of Object.entries(config.registries)) {
    if (r.passwordSecret) throw new ConfigError('passwordSecret (Key Vault) is read by the Azure Functions app; on the CLI give password: ${VAR}', { file: config.file, path: `registries["${host}"].passwordSecret`, code: 'CONFIG_UNSUPPORTED' });
    hosts[host] = { username: r.username, password: r.password, insecure: r.insecure, concurrency: r.concurrency, minRemaining: r.minRemaining };
  }
  return { ...extra, hosts: { ...hosts, ...(extra.hosts ?? {}) } };
}

/** Builds everything a CLI command needs from a config file. */
export async function composeCli(options: ComposeOptions): Promise<CliRuntime> {
  const config = await loadConfig(options.configFile, options.env ?? process.env);
  const images = trackedImages(config);
  const clock = options.clock ?? systemClock;
  const source = new RemoteRegistry(registryClientOptions(config, options.registryOptions));
  const target: Registry = config.target.kind === 'layout' ? new LayoutRegistry() : source;
  const state = await FileStateStore.open(options.stateFile ?? defaultStateFile(config.file), { readOnly: options.readOnly });
  const byId = new Map(images.map((i) => [i.id, i]));
  const triggers = new Map<string, RebuildTrigger>();
  const deps: SyncDeps = {
    registry: source,
    state,
    clock,
    signal: options.signal,
    promoter: new CopyPromoter({ source, target, signal: options.signal }),
    gatesFor: (image: TrackedImage) => createGates(configOf(byId, image), { clock, baseDir: config.dir, environment: options.env ?? process.env }),
    inspect: (job) => createImageInspector(source, job.image.source.withDigest(job.digest)),
    triggerFor: (dependent: DependentSpec, image: TrackedImage) => {
      const key = `${image.id}|${dependent.id}`;
      let trigger = triggers.get(key);
      if (!trigger) {
        const spec = configOf(byId, image).dependents.find((d) => d.id === dependent.id)!;
        triggers.set(key, (trigger = createRebuildTrigger(spec)));
      }
      return trigger;
    },
  };
  return {
    config,
    images,
    source,
    target,
    state,
    deps,
    close: async () => {
      await state.close();
      await source.close?.();
    },
  };
}

function configOf(byId: Map<string, ConfiguredImage>, image: TrackedImage) {
  return (byId.get(image.id) ?? (image as ConfiguredImage)).config;
}
