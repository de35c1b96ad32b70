/**
 * Everything a queue-driven stage needs, from one composition root (functions/azure/compose-azure.ts
 * in Azure; tests compose the same adapters over Azurite and the local registry).
 */
import type { PoisonQueues, Queue } from './queue';
import type { SyncDeps } from './sync';
import type { TrackedImage } from './tracked-image';

export interface StageRuntime {
  /** The tracked images of the loaded basegate.yaml. */
  images: readonly TrackedImage[];
  /** Registry, state, clock, promoter, gates and rebuild triggers: the same the CLI's sync uses. */
  deps: SyncDeps;
  /** Where the next stage's messages go. */
  queue: Queue;
  poison: PoisonQueues;
}
