/**
 * Gate `acrTask`: a validation run on ACR Tasks (`registries.beginScheduleRun`): an existing
 * task, or an encoded multi-step task file, gets the pinned digest as an argument (build a test
 * image FROM it, run its tests, scan it). The run is waited for by the runner; it passes when
 * the run Succeeded and fails when it ended otherwise. A runner that throws (ARM down, no
 * permission) or a run still going is `pending`: an error never approves.
 *
 * The runner is injected: the real one is `runAcrTask` in functions/azure/acr-tasks.ts (only
 * azure/ imports @azure/*). Run id and log link go into the audit; the log link is a SAS URL,
 * so its signature is redacted (`az acr task logs --run-id` reads the log by run id).
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, redactUrl } from '../errors';
import type { Gate } from '../pipeline/gate-port';

/**
 * What the gate asks the runner for: the request of `runAcrTask` (functions/azure/acr-tasks.ts),
 * restated here because gates/ does not import azure/ (only azure/ touches the Azure SDK).
 */
export interface AcrTaskRunRequest {
  /** ARM resource id of the registry the task runs in. */
  registryResourceId: string;
  /** An existing task (TaskRunRequest); exactly one of taskName / encodedTaskYaml. */
  taskName?: string;
  /** A multi-step task's YAML text (EncodedTaskRunRequest; the runner base64-encodes it). */
  encodedTaskYaml?: string;
  /** `{{.Values.NAME}}` of a multi-step task. */
  values?: Record<string, string>;
  /** Build arguments of an existing Docker-step task. */
  arguments?: Record<string, string>;
  /** ACR's own limit on an encoded run, in seconds (300–28800). */
  runTimeoutSeconds?: number;
}

/** How long the runner waits for the run to end. */
export interface AcrTaskRunOptions {
  timeoutMs?: number;
}

/** How the run ended (RunStatus of the ACR API), with its id and log link. */
export interface AcrTaskRunResult {
  runId: string;
  /** `Succeeded`, `Failed`, `Canceled`, `Error`, `Timeout`, or a non-terminal `Queued`/`Started`/`Running`. */
  status: string;
  /** A read SAS URL of the run's log. */
  logLink?: string;
  /** ACR's message for a run that did not succeed. */
  runErrorMessage?: string;
}

/** Schedules a run and waits for it to end: `(request, options) => runAcrTask(client, request, options)`. */
export type AcrTaskRunner = (request: AcrTaskRunRequest, options: AcrTaskRunOptions) => Promise<AcrTaskRunResult>;

/** Options of {@link acrTaskGate} (the `acrTask:` entry of `gates:`). */
export interface AcrTaskGateOptions {
  registry: string;
  task?: string;
  /** Absolute path of a task YAML file, read at each evaluation. */
  encodedTask?: string;
  /** Name of the argument carrying the pinned image reference. */
  argument?: string;
  /** Milliseconds the run may take. */
  timeout?: number;
}

const DEFAULTS = {
  /** The same name the command gate's environment uses. */
  argument: 'IMAGE',
} as const;

/** ACR's bounds on an encoded run's own timeout, in seconds (EncodedTaskRunRequest.timeout). */
const RUN_TIMEOUT_BOUNDS = { min: 300, max: 28_800 } as const;

/** Statuses that end a run without success (RunStatus, ACR API 2025-11-01). */
const FAILED = new Set(['Failed', 'Canceled', 'Error', 'Timeout']);

/** Runs the ACR task on the pinned digest through `runner`: Succeeded passes, a failed run fails, an error is pending. */
export function acrTaskGate(options: AcrTaskGateOptions, runner: AcrTaskRunner): Gate {
  if ((options.task === undefined) === (options.encodedTask === undefined)) {
    throw new ConfigError('expected exactly one of task or encodedTask', { path: 'gates.acrTask' });
  }
  const argument = options.argument ?? DEFAULTS.argument;
  return {
    name: 'acrTask',
    async evaluate({ source, pullRef }) {
      // From the quarantine cache when one serves the image: the task pulls it there, not upstream.
      const image = (pullRef?.(source) ?? source).pinned().toString();
      const request: AcrTaskRunRequest =
        options.task !== undefined
          ? // An existing task is a Docker step (build args) or a multi-step file (values): give it both.
            { registryResourceId: options.registry, taskName: options.task, arguments: { [argument]: image }, values: { [argument]: image } }
          : {
              registryResourceId: options.registry,
              encodedTaskYaml: await readFile(options.encodedTask as string, 'utf8'),
              values: { [argument]: image },
              ...(options.timeout !== undefined ? { runTimeoutSeconds: runTimeoutSeconds(options.timeout) } : {}),
            };
      const run = await runner(request, options.timeout !== undefined ? { timeoutMs: options.timeout } : {});
      const detail = { runId: run.runId, status: run.status, ...(run.logLink ? { logLink: redactUrl(run.logLink) } : {}) };
      const what = `ACR task run ${run.runId}${options.task ? ` of task ${options.task}` : ''}`;
      if (run.status === 'Succeeded') return { gate: 'acrTask', outcome: 'pass', reasons: [], detail };
      if (FAILED.has(run.status)) {
        return { gate: 'acrTask', outcome: 'fail', reasons: [`${what} ended ${run.status}${run.runErrorMessage ? `: ${run.runErrorMessage}` : ''}`], detail };
      }
      return { gate: 'acrTask', outcome: 'pending', reasons: [`${what} is still ${run.status}, will check again`], detail };
    },
  };
}

/** The run's own limit: basegate's wait, within ACR's bounds (a run may not outlive 8 h). */
function runTimeoutSeconds(timeoutMs: number): number {
  return Math.min(RUN_TIMEOUT_BOUNDS.max, Math.max(RUN_TIMEOUT_BOUNDS.min, Math.ceil(timeoutMs / 1000)));
}
