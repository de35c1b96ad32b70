/**
 * Runs ACR Tasks (issue #5: the `acrTask` gate; issue #6: the `acrTask` dependent) through
 * `registries.beginScheduleRun` (Tasks API, api-version 2019-06-01-preview in
 * `@azure/arm-containerregistry` 11.x):
 * - an existing task: a `TaskRunRequest` with `taskId` and `overrideTaskStepProperties`
 *   (`arguments` for a Docker step's build args, `values` for a multi-step task's `{{.Values.X}}`);
 * - an inline multi-step task: an `EncodedTaskRunRequest` with the YAML base64-encoded, and its
 *   `values`.
 * The run is then followed with `runs.get` until a terminal status (Succeeded, Failed, Canceled,
 * Error, Timeout) or basegate's deadline, and its log link read with `runs.getLogSasUrl`.
 * https://learn.microsoft.com/azure/container-registry/container-registry-tasks-reference-yaml
 */
import type { ContainerRegistryManagementClient, EncodedTaskRunRequest, Run, SetValue, TaskRunRequest } from '@azure/arm-containerregistry';
import { ConfigError } from '../errors';
import { acrTaskResourceId, parseAcrResourceId, type AcrResourceId } from './acr-resource-id';
import { ArmError, toArmError } from './arm-error';
import { runArmOperation } from './arm-operation';

/** ACR run statuses (RunStatus). */
export type AcrRunStatus = 'Queued' | 'Started' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled' | 'Error' | 'Timeout';

/** Statuses after which a run changes no more. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout']);

/** A value or argument passed to the run; `secret` ones are hidden from ACR's logs (`isSecret`). */
export type AcrRunValue = string | { value: string; secret: true };

/** What to run. Exactly one of `taskName` and `encodedTaskYaml`. */
export interface AcrTaskRunRequest {
  /** The registry the task runs in (its resource id). */
  registryResourceId: string | AcrResourceId;
  /** An existing task of that registry. */
  taskName?: string;
  /** A multi-step task definition (YAML text), run once without creating a task. */
  encodedTaskYaml?: string;
  /** `{{.Values.NAME}}` of the task YAML (e.g. `IMAGE=<registry>/<repo>@<digest>`). */
  values?: Record<string, AcrRunValue>;
  /** Build arguments of an existing Docker-step task (e.g. `BASE_IMAGE=...`); not for encoded tasks. */
  arguments?: Record<string, AcrRunValue>;
  /** Platform of an encoded task's agent. */
  platform?: { os: 'Linux' | 'Windows'; architecture?: 'amd64' | 'x86' | '386' | 'arm' | 'arm64'; variant?: 'v6' | 'v7' | 'v8' };
  /** ACR's own limit on an encoded run, in seconds (300–28800). */
  runTimeoutSeconds?: number;
  agentPoolName?: string;
}

/** Bounds of {@link runAcrTask}. */
export interface AcrTaskWaitOptions {
  /** How long basegate waits for the run to end. */
  timeoutMs?: number;
  pollIntervalMs?: number;
}

/** A scheduled run. */
export interface AcrRunRef {
  runId: string;
  status: AcrRunStatus;
}

/** The outcome of {@link runAcrTask}. */
export interface AcrTaskRunResult extends AcrRunRef {
  /** False when basegate stopped waiting before a terminal status (the run goes on in ACR). */
  finished: boolean;
  /** ACR's message for a run that did not succeed. */
  runErrorMessage?: string;
  /** A read SAS URL of the run's log: a credential for its lifetime — audit it through `redactUrl`. */
  logLink?: string;
}

const DEFAULTS = {
  /** A validation run (build FROM the digest, test, scan) takes minutes; stay inside the Functions timeout. */
  timeoutMs: 20 * 60_000,
  /** Runs take minutes; a 5 s poll is prompt enough at a few hundred ARM reads an hour at most. */
  pollIntervalMs: 5_000,
  /** The scheduling operation itself is short. */
  scheduleTimeoutMs: 2 * 60_000,
  /** What ACR Tasks runs on unless told otherwise. */
  platform: { os: 'Linux', architecture: 'amd64' } as const,
} as const;

/** Schedules the run and returns at once with its id (the `acrTask` dependent: fire and record). */
export async function scheduleAcrTask(client: ContainerRegistryManagementClient, request: AcrTaskRunRequest, options: AcrTaskWaitOptions = {}): Promise<AcrRunRef> {
  const registry = typeof request.registryResourceId === 'string' ? parseAcrResourceId(request.registryResourceId) : request.registryResourceId;
  const body = runRequestBody(registry, request);
  const what = request.taskName ? `task ${request.taskName}` : 'an encoded task';
  const run: Run = await runArmOperation(
    (hooks) =>
      client.registries.beginScheduleRun(registry.resourceGroup, registry.registryName, body, {
        updateIntervalInMs: hooks.updateIntervalInMs,
        abortSignal: hooks.abortSignal,
        onResponse: hooks.onResponse,
      }),
    { operation: 'scheduleRun', subject: `${what} in registry ${registry.registryName}`, timeoutMs: DEFAULTS.scheduleTimeoutMs, pollIntervalMs: Math.min(options.pollIntervalMs ?? DEFAULTS.pollIntervalMs, 2_000) },
  );
  if (!run.runId) throw new ArmError({ code: 'ARM_BAD_RESPONSE', message: `scheduleRun of ${what} answered without a runId`, operation: 'scheduleRun', temporary: false });
  return { runId: run.runId, status: (run.status ?? 'Queued') as AcrRunStatus };
}

/** Schedules the run, waits for a terminal status within `timeoutMs`, and reads its log link. */
export async function runAcrTask(client: ContainerRegistryManagementClient, request: AcrTaskRunRequest, options: AcrTaskWaitOptions = {}): Promise<AcrTaskRunResult> {
  const registry = typeof request.registryResourceId === 'string' ? parseAcrResourceId(request.registryResourceId) : request.registryResourceId;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
  const deadline = Date.now() + timeoutMs;
  const scheduled = await scheduleAcrTask(client, { ...request, registryResourceId: registry }, options);
  let run = await getAcrRun(client, registry, scheduled.runId);
  while (!TERMINAL_RUN_STATUSES.has(run.status) && Date.now() + pollIntervalMs <= deadline) {
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    run = await getAcrRun(client, registry, scheduled.runId);
  }
  const finished = TERMINAL_RUN_STATUSES.has(run.status);
  return { ...run, finished, ...(finished ? { logLink: await logLinkOf(client, registry, run.runId) } : {}) };
}

/** The current status of a run (for `basegate status` and follow-ups). */
export async function getAcrRun(client: ContainerRegistryManagementClient, registry: AcrResourceId, runId: string): Promise<AcrRunRef & { runErrorMessage?: string }> {
  try {
    const run = await client.runs.get(registry.resourceGroup, registry.registryName, runId);
    return { runId, status: (run.status ?? 'Queued') as AcrRunStatus, ...(run.runErrorMessage ? { runErrorMessage: run.runErrorMessage } : {}) };
  } catch (err) {
    throw toArmError(err, 'runs.get', `run ${runId} in registry ${registry.registryName}`);
  }
}

/** The run's log link; undefined when ACR has none to give (the run's outcome stands without it). */
async function logLinkOf(client: ContainerRegistryManagementClient, registry: AcrResourceId, runId: string): Promise<string | undefined> {
  try {
    return (await client.runs.getLogSasUrl(registry.resourceGroup, registry.registryName, runId)).logLink;
  } catch (err) {
    const mapped = toArmError(err, 'runs.getLogSasUrl', `run ${runId}`);
    if (mapped instanceof ArmError && (mapped.code === 'ARM_NOT_FOUND' || mapped.temporary)) return undefined;
    throw mapped;
  }
}

/** Builds the TaskRunRequest or EncodedTaskRunRequest; refuses contradictory requests. */
export function runRequestBody(registry: AcrResourceId, request: AcrTaskRunRequest): TaskRunRequest | EncodedTaskRunRequest {
  if ((request.taskName === undefined) === (request.encodedTaskYaml === undefined)) {
    throw new ConfigError('an ACR task run needs exactly one of taskName and encodedTaskYaml', { code: 'ACR_TASK_REQUEST_INVALID' });
  }
  const common = request.agentPoolName ? { agentPoolName: request.agentPoolName } : {};
  if (request.taskName !== undefined) {
    if (request.platform || request.runTimeoutSeconds) {
      throw new ConfigError('platform and runTimeoutSeconds belong to the task definition, not to a run of an existing task', { code: 'ACR_TASK_REQUEST_INVALID' });
    }
    const overrides = { ...(request.arguments ? { arguments: setValues(request.arguments) } : {}), ...(request.values ? { values: setValues(request.values) } : {}) };
    return {
      type: 'TaskRunRequest',
      taskId: acrTaskResourceId(registry, request.taskName),
      ...common,
      ...(Object.keys(overrides).length > 0 ? { overrideTaskStepProperties: overrides } : {}),
    };
  }
  if (request.arguments) {
    throw new ConfigError('an encoded task takes values, not build arguments (pass them as --build-arg {{.Values.X}} in its YAML)', { code: 'ACR_TASK_REQUEST_INVALID' });
  }
  if (request.runTimeoutSeconds !== undefined && (request.runTimeoutSeconds < 300 || request.runTimeoutSeconds > 28800)) {
    throw new ConfigError(`runTimeoutSeconds ${request.runTimeoutSeconds} is outside ACR's 300-28800`, { code: 'ACR_TASK_REQUEST_INVALID' });
  }
  return {
    type: 'EncodedTaskRunRequest',
    encodedTaskContent: Buffer.from(request.encodedTaskYaml!, 'utf8').toString('base64'),
    platform: request.platform ?? { ...DEFAULTS.platform },
    ...common,
    ...(request.values ? { values: setValues(request.values) } : {}),
    ...(request.runTimeoutSeconds !== undefined ? { timeout: request.runTimeoutSeconds } : {}),
  };
}

function setValues(map: Record<string, AcrRunValue>): SetValue[] {
  return Object.entries(map).map(([name, v]) => (typeof v === 'string' ? { name, value: v, isSecret: false } : { name, value: v.value, isSecret: true }));
}
