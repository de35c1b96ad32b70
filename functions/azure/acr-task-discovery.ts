/**
 * Finds the ACR tasks of an application registry that build on a promoted base image (issue #6,
 * `discover:`): ACR records each task step's base images as `step.baseImageDependencies`
 * (registry login server, repository, tag, digest), and a task may carry its own
 * `trigger.baseImageTrigger`, which makes ACR rebuild it when that base image is pushed.
 * A task whose trigger is enabled would build twice if basegate also scheduled it, so each match
 * says whether ACR's own trigger already covers it; the caller lets ACR build it by default.
 * https://learn.microsoft.com/azure/container-registry/container-registry-tasks-base-images
 */
import type { ContainerRegistryManagementClient, Task } from '@azure/arm-containerregistry';
import { parseAcrResourceId, type AcrResourceId } from './acr-resource-id';
import { toArmError } from './arm-error';

/** The promoted image, as application tasks name it in their `FROM`. */
export interface BaseImageQuery {
  /** The base registry's login server (`contosobase.azurecr.io`). */
  registry: string;
  repository: string;
  /** Only dependencies on this tag; any tag when omitted. */
  tag?: string;
}

/** A task that depends on the base image. */
export interface DependentTask {
  name: string;
  /** Its resource id (what a TaskRunRequest's `taskId` names). */
  taskId: string;
  /** The task's own status: a disabled task is reported, never scheduled. */
  enabled: boolean;
  /** True when the task has an enabled base-image trigger: ACR rebuilds it on its own. */
  baseImageTriggerEnabled: boolean;
  /** The matching dependencies (a task may name the base image in several steps' stages). */
  dependencies: Array<{ registry: string; repository: string; tag?: string; digest?: string; type?: string }>;
}

/** Lists the registry's tasks (all pages) and returns those whose base-image dependencies match. */
export async function discoverDependentTasks(client: ContainerRegistryManagementClient, registryResourceId: string | AcrResourceId, base: BaseImageQuery): Promise<DependentTask[]> {
  const registry = typeof registryResourceId === 'string' ? parseAcrResourceId(registryResourceId) : registryResourceId;
  const found: DependentTask[] = [];
  try {
    for await (const task of client.tasks.list(registry.resourceGroup, registry.registryName)) {
      const match = matchTask(registry, task, base);
      if (match) found.push(match);
    }
  } catch (err) {
    throw toArmError(err, 'tasks.list', `registry ${registry.registryName}`);
  }
  return found;
}

/** The task as a dependent of `base`, or undefined when none of its dependencies match. */
export function matchTask(registry: AcrResourceId, task: Task, base: BaseImageQuery): DependentTask | undefined {
  const wantedRegistry = normaliseRegistry(base.registry);
  const dependencies = (task.step?.baseImageDependencies ?? []).filter(
    (d) =>
      d.registry !== undefined &&
      d.repository !== undefined &&
      normaliseRegistry(d.registry) === wantedRegistry &&
      d.repository === base.repository &&
      // A FROM pinned by digest alone does not follow the tag: rebuilding it would change nothing.
      d.tag !== undefined &&
      (base.tag === undefined || d.tag === base.tag),
  );
  if (dependencies.length === 0 || !task.name) return undefined;
  const trigger = task.trigger?.baseImageTrigger;
  const enabled = (task.status ?? 'Enabled') === 'Enabled';
  return {
    name: task.name,
    taskId: task.id ?? `${registry.id}/tasks/${task.name}`,
    enabled,
    // The spec's default trigger status is Enabled.
    baseImageTriggerEnabled: enabled && trigger !== undefined && (trigger.status ?? 'Enabled') === 'Enabled',
    dependencies: dependencies.map((d) => ({ registry: d.registry!, repository: d.repository!, ...(d.tag ? { tag: d.tag } : {}), ...(d.digest ? { digest: d.digest } : {}), ...(d.type ? { type: d.type } : {}) })),
  };
}

/** Login servers compare case-insensitively, without a scheme or trailing slash. */
function normaliseRegistry(registry: string): string {
  return registry.replace(/^https?:\/\//, '').replace(/\/+$/, '').toLowerCase();
}
