/**
 * The `discover:` dependent (issue #6): the ACR tasks of an application registry whose recorded
 * base-image dependencies name the promoted repository and tag are its dependents. Each enabled
 * one is scheduled, except, with `schedule: auto`, a task whose own base-image trigger is enabled:
 * ACR builds that one itself on the push, and scheduling it too would build it twice.
 *
 * The whole discovery is one rebuild record (one dependent id), so the tasks of one promotion are
 * scheduled in one go; a redelivery after a crash between two schedules may schedule the first
 * ones again, which an ACR task tolerates (it builds the same base twice).
 */
import type { DiscoverDependent } from '../config/config';
import { parseReference } from '../oci/reference';
import type { RebuildEvent, RebuildOutcome } from '../pipeline/ports';
import type { RebuildTrigger } from '../rebuild/rebuild-trigger';
import type { ArmClients } from './arm-clients';
import { discoverDependentTasks } from './acr-task-discovery';
import { scheduleAcrTask } from './acr-tasks';

export class AcrDiscoverRebuildTrigger implements RebuildTrigger {
  readonly id: string;

  constructor(
    private readonly arm: ArmClients,
    private readonly dependent: DiscoverDependent,
  ) {
    this.id = dependent.id;
  }

  async trigger(event: RebuildEvent): Promise<RebuildOutcome> {
    const promoted = parseReference(event.target);
    const { client, registry } = this.arm.forRegistry(this.dependent.registry);
    const tasks = await discoverDependentTasks(client, registry, { registry: promoted.registry, repository: promoted.repository, tag: event.tag });
    const scheduled: string[] = [];
    const runIds: string[] = [];
    const left: string[] = [];
    for (const task of tasks) {
      if (!task.enabled) left.push(`${task.name} (disabled)`);
      else if (task.baseImageTriggerEnabled && this.dependent.schedule === 'auto') left.push(`${task.name} (its own base-image trigger builds it)`);
      else {
        const { runId } = await scheduleAcrTask(client, { registryResourceId: registry, taskName: task.name });
        runIds.push(runId);
        scheduled.push(`${task.name} run ${runId}`);
      }
    }
    const where = `registry ${registry.registryName}`;
    if (tasks.length === 0) return { status: 'skipped', detail: `no task in ${where} builds on ${promoted.repository}:${event.tag}` };
    const detail = [scheduled.length ? `scheduled ${scheduled.join(', ')}` : '', left.length ? `left to ACR: ${left.join(', ')}` : ''].filter(Boolean).join('; ');
    return { status: scheduled.length ? 'triggered' : 'skipped', runId: runIds.length ? runIds.join(',') : undefined, detail: `${where}: ${detail}` };
  }
}
