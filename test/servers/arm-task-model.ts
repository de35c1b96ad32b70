/**
 * The ACR Tasks resources the ARM contract fake serves, as ARM returns them (Task, Run and
 * RunGetLogResult in the 2025-11-01 spec; `properties` flattened by the SDK on the client side).
 */
import type { RecordedRequest } from './https-contract-server';

/** Run statuses (RunStatus in the spec). */
export type RunStatus = 'Queued' | 'Started' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled' | 'Error' | 'Timeout';

/** A base image dependency as ACR records it for a task step (BaseImageDependency). */
export interface FakeBaseImageDependency {
  type?: 'BuildTime' | 'RunTime';
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** A task the fake holds. */
export interface FakeTask {
  name: string;
  status?: 'Enabled' | 'Disabled';
  baseImageDependencies?: FakeBaseImageDependency[];
  /** Absent: no base image trigger at all. */
  baseImageTrigger?: { status?: 'Enabled' | 'Disabled'; type?: 'All' | 'Runtime' };
}

/** How the next scheduled run behaves: the statuses successive `runs.get` calls see. */
export interface RunScript {
  /** Statuses answered by successive GETs of the run; the last one repeats. Default Running, Succeeded. */
  statuses?: RunStatus[];
  /** Answer scheduleRun synchronously (200 + Run) instead of 202 + async polling. */
  synchronous?: boolean;
  /** Polls of the scheduling operation answered InProgress. Default 1. */
  inProgressPolls?: number;
  runErrorMessage?: string;
}

/** A run the fake scheduled, with its script and the request that started it. */
export interface FakeRun {
  runId: string;
  registryId: string;
  task?: string;
  request: unknown;
  script: Required<Pick<RunScript, 'statuses'>> & RunScript;
  gets: number;
  createTime: string;
}

/** The Task resource JSON. */
export function taskJson(registryId: string, task: FakeTask): unknown {
  return {
    id: `${registryId}/tasks/${task.name}`,
    name: task.name,
    type: 'Microsoft.ContainerRegistry/registries/tasks',
    location: 'westeurope',
    properties: {
      provisioningState: 'Succeeded',
      creationDate: '2026-01-01T00:00:00Z',
      status: task.status ?? 'Enabled',
      platform: { os: 'Linux', architecture: 'amd64' },
      agentConfiguration: { cpu: 2 },
      timeout: 3600,
      step: {
        type: 'Docker',
        dockerFilePath: 'Dockerfile',
        contextPath: 'https://github.com/contoso/app.git',
        imageNames: [`${task.name}:{{.Run.ID}}`],
        isPushEnabled: true,
        noCache: false,
        baseImageDependencies: (task.baseImageDependencies ?? []).map((d) => ({ type: d.type ?? 'BuildTime', ...d })),
      },
      trigger: task.baseImageTrigger
        ? { baseImageTrigger: { name: 'defaultBaseimageTriggerName', baseImageTriggerType: task.baseImageTrigger.type ?? 'Runtime', status: task.baseImageTrigger.status ?? 'Enabled' } }
        : {},
      isSystemTask: false,
    },
  };
}

/** The Run resource JSON with the given status. */
export function runJson(run: FakeRun, status: RunStatus): unknown {
  const terminal = !['Queued', 'Started', 'Running'].includes(status);
  return {
    id: `${run.registryId}/runs/${run.runId}`,
    name: run.runId,
    type: 'Microsoft.ContainerRegistry/registries/runs',
    properties: {
      runId: run.runId,
      status,
      runType: 'QuickRun',
      ...(run.task ? { task: run.task } : {}),
      createTime: run.createTime,
      lastUpdatedTime: new Date().toISOString(),
      ...(terminal ? { finishTime: new Date().toISOString() } : {}),
      platform: { os: 'Linux', architecture: 'amd64' },
      provisioningState: 'Succeeded',
      ...(terminal && status !== 'Succeeded' && run.script.runErrorMessage ? { runErrorMessage: run.script.runErrorMessage } : {}),
    },
  };
}

/** Next status a GET of the run answers, advancing its script. */
export function nextRunStatus(run: FakeRun): RunStatus {
  const { statuses } = run.script;
  const status = statuses[Math.min(run.gets, statuses.length - 1)];
  run.gets++;
  return status;
}

/** The log link ACR hands out (a SAS URL to the run's log blob). */
export function logLinkFor(endpoint: string, run: FakeRun): string {
  return `${endpoint}/logs/${run.runId}/rawtext.log?sv=2023-01-03&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=FAKE`;
}

/** Run id in ACR's short form (`cb1`, `cb2`, ...). */
export function nextRunId(counter: number): string {
  return `cb${counter.toString(36)}`;
}

/** True when a request carries no body (listLogSasUrl takes none). */
export function hasNoBody(request: RecordedRequest): boolean {
  return request.body.length === 0;
}
