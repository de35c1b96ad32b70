/**
 * The gates and rebuild triggers of every configured image, built once. A sync builds them all
 * before it opens the state or sends a request, so that a configuration only a stage would refuse
 * (an `acrTask` gate or dependent, which need Azure; `$PLATFORM` without `perPlatform`; a reserved
 * webhook header) stops the run with exit 2 and the image's path, instead of failing each tag
 * later, after a promotion.
 */
import type { Config, ImageConfig } from '../config/config';
import type { ConfiguredImage } from '../config/tracked-images';
import { ConfigError } from '../errors';
import { createGates } from '../gates/create-gates';
import type { Gate } from '../pipeline/gate-port';
import type { Clock, RebuildTrigger } from '../pipeline/ports';
import type { DependentSpec, TrackedImage } from '../pipeline/tracked-image';
import { createRebuildTrigger } from '../rebuild/create-rebuild-trigger';

export interface StageBuilders {
  gatesFor(image: TrackedImage): Gate[];
  triggerFor(dependent: DependentSpec, image: TrackedImage): RebuildTrigger;
  /** Builds every image's gates and triggers now; throws the first {@link ConfigError}, naming the image. */
  buildAll(): void;
}

/** Memoised builders over the configured images. */
export function stageBuilders(config: Config, images: readonly ConfiguredImage[], deps: { clock: Clock; environment: Readonly<Record<string, string | undefined>> }): StageBuilders {
  const byId = new Map(images.map((i) => [i.id, i]));
  const gates = new Map<string, Gate[]>();
  const triggers = new Map<string, RebuildTrigger>();
  const configOf = (image: TrackedImage): ImageConfig => (byId.get(image.id) ?? (image as ConfiguredImage)).config;

  const gatesFor = (image: TrackedImage): Gate[] => {
    let built = gates.get(image.id);
    if (!built) {
      const entry = configOf(image);
      built = atImage(config, entry, 'gates', () => createGates(entry, { clock: deps.clock, baseDir: config.dir, environment: deps.environment, secrets: () => config.secrets ?? [] }));
      gates.set(image.id, built);
    }
    return built;
  };
  const triggerFor = (dependent: DependentSpec, image: TrackedImage): RebuildTrigger => {
    const key = `${image.id}|${dependent.id}`;
    let trigger = triggers.get(key);
    if (!trigger) {
      const entry = configOf(image);
      const spec = entry.dependents.find((d) => d.id === dependent.id);
      if (!spec) throw new ConfigError(`no dependent ${JSON.stringify(dependent.id)} in this configuration`, { file: config.file, path: `images[${entry.index}].dependents` });
      trigger = atImage(config, entry, 'dependents', () => createRebuildTrigger(spec));
      triggers.set(key, trigger);
    }
    return trigger;
  };
  return {
    gatesFor,
    triggerFor,
    buildAll() {
      for (const image of images) {
        gatesFor(image);
        for (const dependent of image.dependents) triggerFor(dependent, image);
      }
    },
  };
}

/** Runs `build`, re-throwing a ConfigError under the file and the image's path (`images[2].gates.command.run`). */
function atImage<T>(config: Config, image: ImageConfig, section: 'gates' | 'dependents', build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof ConfigError) || err.file !== undefined) throw err;
    // Gate errors carry a path relative to the image (`gates.maxSize`, `platforms`); dependent errors name the dependent in the message.
    const message = err.path && err.message.startsWith(`${err.path}: `) ? err.message.slice(err.path.length + 2) : err.message;
    throw new ConfigError(message, { file: config.file, path: `images[${image.index}].${err.path ?? section}`, code: err.code });
  }
}
