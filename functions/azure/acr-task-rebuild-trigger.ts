/**
 * The `acrTask:` dependent: schedules a run of an existing ACR task in an application registry
 * with the promoted base image as an override argument (`BASE_IMAGE=<target>@<digest>`, issue #6),
 * and returns at once with the run id: the build is the dependent's business, basegate records
 * that it was asked for.
 */
import type { AcrTaskDependent } from '../config/config';
import type { RebuildEvent, RebuildOutcome } from '../pipeline/ports';
import type { RebuildTrigger } from '../rebuild/rebuild-trigger';
import type { ArmClients } from './arm-clients';
import { scheduleAcrTask } from './acr-tasks';

/** Rebuilds one `acrTask:` dependent by scheduling its task. */
export class AcrTaskRebuildTrigger implements RebuildTrigger {
  readonly id: string;

  constructor(
    private readonly arm: ArmClients,
    private readonly dependent: AcrTaskDependent,
  ) {
    this.id = dependent.id;
  }

  async trigger(event: RebuildEvent): Promise<RebuildOutcome> {
    const { client, registry } = this.arm.forRegistry(this.dependent.registry);
    const run = await scheduleAcrTask(client, {
      registryResourceId: registry,
      taskName: this.dependent.task,
      arguments: this.dependent.argument ? { [this.dependent.argument]: event.target } : undefined,
    });
    return { runId: run.runId, status: 'triggered', detail: `ACR task ${this.dependent.task} run ${run.runId} ${run.status}` };
  }
}
