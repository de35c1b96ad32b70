/**
 * Azure Container Registry resource ids, parsed once at the edge:
 * `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}`.
 *
 * Rules (ARM, and the Registries path parameters of the Microsoft.ContainerRegistry spec):
 * - the subscription id is a UUID;
 * - a resource group name is 1–90 characters of letters, digits, `_ . - ( )`, not ending in `.`;
 * - a registry name is 5–50 letters and digits (`^[a-zA-Z0-9]*$`);
 * - segment names (`subscriptions`, `resourceGroups`, `providers`, the namespace, `registries`)
 *   are case-insensitive, as everywhere in ARM.
 */
import { ConfigError } from '../errors';

/** A parsed registry resource id. */
export interface AcrResourceId {
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
  /** The canonical id string (segment names in their documented case). */
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/u;
const REGISTRY = /^[a-zA-Z0-9]{5,50}$/;
const TASK = /^[a-zA-Z0-9-_]{5,50}$/;

/** Parses a registry resource id, or throws a {@link ConfigError} saying which part is wrong. */
export function parseAcrResourceId(input: string, where: { file?: string; path?: string } = {}): AcrResourceId {
  const fail = (reason: string): never => {
    throw new ConfigError(`${JSON.stringify(input)} is not an Azure Container Registry resource id: ${reason} (expected /subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>)`, {
      ...where,
      code: 'ACR_RESOURCE_ID_INVALID',
    });
  };
  if (typeof input !== 'string' || input.trim() === '') return fail('it is empty');
  const parts = input.trim().replace(/\/+$/, '').split('/');
  if (parts[0] !== '') fail('it must start with /subscriptions/');
  const [, subs, subscriptionId, groups, resourceGroup, providers, namespace, registries, registryName, ...rest] = parts;
  if (subs?.toLowerCase() !== 'subscriptions') fail('it must start with /subscriptions/');
  if (!UUID.test(subscriptionId ?? '')) fail(`the subscription id ${JSON.stringify(subscriptionId ?? '')} is not a UUID`);
  if (groups?.toLowerCase() !== 'resourcegroups') fail('the second segment must be resourceGroups');
  if (!RESOURCE_GROUP.test(resourceGroup ?? '') || resourceGroup!.endsWith('.')) fail(`the resource group name ${JSON.stringify(resourceGroup ?? '')} is invalid`);
  if (providers?.toLowerCase() !== 'providers' || namespace?.toLowerCase() !== 'microsoft.containerregistry' || registries?.toLowerCase() !== 'registries') {
    fail('it must name providers/Microsoft.ContainerRegistry/registries');
  }
  if (!REGISTRY.test(registryName ?? '')) fail(`the registry name ${JSON.stringify(registryName ?? '')} must be 5-50 letters and digits`);
  if (rest.length > 0) fail(`it names a child resource (/${rest.join('/')}); give the registry itself`);
  return {
    subscriptionId: subscriptionId!,
    resourceGroup: resourceGroup!,
    registryName: registryName!,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registryName}`,
  };
}

/** The resource id of a task in a registry (what a TaskRunRequest's `taskId` names). */
export function acrTaskResourceId(registry: AcrResourceId, taskName: string): string {
  if (!TASK.test(taskName)) {
    throw new ConfigError(`task name ${JSON.stringify(taskName)} must be 5-50 letters, digits, '-' or '_'`, { code: 'ACR_TASK_NAME_INVALID' });
  }
  return `${registry.id}/tasks/${taskName}`;
}
