/**
 * One ARM client per subscription, built on first use with the app's credential: ACR import,
 * ACR task gates and ACR task dependents may each name registries in other subscriptions.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import type { AcrTaskRunner } from '../gates/acr-task';
import { parseAcrResourceId, type AcrResourceId } from './acr-resource-id';
import { runAcrTask } from './acr-tasks';
import { createArmClient } from './arm-client';
import type { TokenCredential } from './azure-credential';

/** ARM clients by subscription. */
export class ArmClients {
  private readonly clients = new Map<string, ContainerRegistryManagementClient>();

  constructor(
    private readonly credential: () => TokenCredential,
    /** Resource Manager endpoint and its CA, for sovereign clouds (and the tests' contract fake). */
    private readonly endpoint: { endpoint?: string; trustedCa?: string } = {},
  ) {}

  /** The client for a registry's subscription, and the parsed registry id. */
  forRegistry(resourceId: string | AcrResourceId): { client: ContainerRegistryManagementClient; registry: AcrResourceId } {
    const registry = typeof resourceId === 'string' ? parseAcrResourceId(resourceId) : resourceId;
    let client = this.clients.get(registry.subscriptionId);
    if (!client) this.clients.set(registry.subscriptionId, (client = createArmClient({ subscriptionId: registry.subscriptionId, credential: this.credential(), ...this.endpoint })));
    return { client, registry };
  }

  /** The runner the `acrTask` gate schedules and waits for runs with. */
  taskRunner(): AcrTaskRunner {
    return async (request, options) => {
      const { client, registry } = this.forRegistry(request.registryResourceId);
      const run = await runAcrTask(client, { ...request, registryResourceId: registry }, { timeoutMs: options.timeoutMs });
      return { runId: run.runId, status: run.status, logLink: run.logLink, runErrorMessage: run.runErrorMessage };
    };
  }
}
