/**
 * One ACR `importImage` call (Registries_ImportImage, api-version 2025-11-01): ACR copies the
 * image server side, so bytes never pass through basegate. The long-running operation is awaited
 * within a deadline (arm-operation.ts); failures come back as `ArmError`s.
 *
 * Contract points the caller relies on
 * (https://learn.microsoft.com/rest/api/containerregistry/registries/import-image):
 * - `source.registryUri` + `source.sourceImage` (`repo@sha256:...`: basegate always imports by
 *   digest), `source.credentials` for a private source;
 * - `targetTags` (`repo:tag`), `untaggedTargetRepositories` (manifests by digest, no tag);
 * - `mode`: `NoForce` (default) fails before copying when a target tag exists, `Force` moves it;
 * - at most 50 manifests per import; referrers are not copied.
 */
import type { ContainerRegistryManagementClient, ImportImageParameters } from '@azure/arm-containerregistry';
import type { AcrResourceId } from './acr-resource-id';
import { runArmOperation } from './arm-operation';

export type { ImportImageParameters } from '@azure/arm-containerregistry';

/** Bounds of one import. */
export interface AcrImportTiming {
  timeoutMs: number;
  pollIntervalMs: number;
}

/** Imports into `registry` and waits until ACR reports the operation done. */
export async function importIntoAcr(client: ContainerRegistryManagementClient, registry: AcrResourceId, parameters: ImportImageParameters, timing: AcrImportTiming): Promise<void> {
  await runArmOperation(
    (hooks) =>
      client.registries.beginImportImage(registry.resourceGroup, registry.registryName, parameters, {
        updateIntervalInMs: hooks.updateIntervalInMs,
        abortSignal: hooks.abortSignal,
        onResponse: hooks.onResponse,
      }),
    { operation: 'importImage', subject: `registry ${registry.registryName} (${parameters.source.sourceImage})`, ...timing },
  );
}
