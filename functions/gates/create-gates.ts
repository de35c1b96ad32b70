/**
 * Builds an image's gate set from its resolved `gates:` (defaults merged, durations and sizes
 * as numbers, regexes compiled: config/config.ts `GatesConfig`) and its `platforms:` list, which
 * is itself a gate. Unknown gate names never get here: the config schema refuses them.
 * Cheap gates come first so their results lead the audit entry.
 */
import type { GatesConfig } from '../config/config';
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import type { Clock } from '../pipeline/ports';
import { acrTaskGate, type AcrTaskRunner } from './acr-task';
import { approvalGate } from './approval';
import { closureGate } from './closure';
import { commandGate, type CommandGateOptions } from './command';
import { cooldownGate } from './cooldown';
import { labelsGate } from './labels';
import { maxAgeGate } from './max-age';
import { maxSizeGate } from './max-size';
import { platformsGate } from './platforms';
import { referrersGate } from './referrers';
import type * as signature from './signature/signature-gate';
import type * as vulnerabilities from './vulnerabilities/vulnerabilities-gate';

/**
 * The signature and vulnerabilities gates are required when a gate set has them: they load
 * Sigstore (62 modules), which a sync without them should not pay for (issue #20).
 */
const signatureGate: typeof signature.signatureGate = (options) => (require('./signature/signature-gate') as typeof signature).signatureGate(options);
const vulnerabilitiesGate: typeof vulnerabilities.vulnerabilitiesGate = (options) => (require('./vulnerabilities/vulnerabilities-gate') as typeof vulnerabilities).vulnerabilitiesGate(options);

/** The gates config plus the forms the command gate takes beyond it (a `/bin/sh -c` string, one run per platform). */
export type GatesOptions = Omit<GatesConfig, 'command' | 'vulnerabilities' | 'maxTotalSize' | 'maxManifests'> & {
  command?: Omit<CommandGateOptions, 'cwd' | 'environment'>;
  vulnerabilities?: Omit<GatesConfig['vulnerabilities'] & object, 'scanner'> & { scanner?: Omit<CommandGateOptions, 'cwd' | 'environment'> & { format?: 'trivy' | 'grype' | 'sarif' } };
};

/** What some gates need from outside. */
export interface CreateGatesDeps {
  /** Schedules ACR task runs (functions/azure/acr-tasks.ts); required when a gate set has `acrTask`. */
  runAcrTask?: AcrTaskRunner;
  /** Overrides the validate stage's clock for cooldown and maxAge. */
  clock?: Clock;
  /** Working directory of commands: the config file's directory. */
  baseDir?: string;
  /** Secrets basegate resolved, scrubbed from any program output the gates store (config `${VAR}` values, Key Vault secrets). */
  secrets?: () => Iterable<string>;
  /** Environment that `command` passes variables through from; `process.env` by default. */
  environment?: Readonly<Record<string, string | undefined>>;
}

/** One Gate per configured gate, the platforms gate first when the image requires platforms, the closure gate (always on) last. */
export function createGates(image: { platforms?: readonly string[]; gates: GatesOptions }, deps: CreateGatesDeps = {}): Gate[] {
  const { gates } = image;
  const out: Gate[] = [];
  if (image.platforms?.length) out.push(platformsGate({ platforms: image.platforms }));
  if (gates.maxSize !== undefined) out.push(maxSizeGate({ maxSize: gates.maxSize }));
  if (gates.maxAge !== undefined) out.push(maxAgeGate({ maxAge: gates.maxAge, clock: deps.clock }));
  if (gates.labels !== undefined) out.push(labelsGate({ labels: gates.labels }));
  if (gates.referrers !== undefined) out.push(referrersGate(gates.referrers));
  if (gates.signature !== undefined) out.push(signatureGate(gates.signature));
  if (gates.cooldown !== undefined) out.push(cooldownGate({ cooldown: gates.cooldown, clock: deps.clock }));
  if (gates.approval !== undefined) out.push(approvalGate({ approval: gates.approval }));
  if (gates.command !== undefined) out.push(commandGate({ ...gates.command, cwd: deps.baseDir, environment: deps.environment, secrets: deps.secrets }));
  if (gates.vulnerabilities !== undefined) {
    const v = gates.vulnerabilities;
    out.push(vulnerabilitiesGate({ ...v, scanner: v.scanner && { ...v.scanner, cwd: deps.baseDir, environment: deps.environment, secrets: deps.secrets }, signature: gates.signature }));
  }
  if (gates.acrTask !== undefined) {
    if (!deps.runAcrTask) // Fail closed and say so now: without a runner the gate could only ever be pending.
      throw new ConfigError('the acrTask gate needs Azure: it runs on ACR Tasks, which this runtime cannot reach (the Azure Functions app can); turn it off here with acrTask: false, or use a command gate', { path: 'gates.acrTask', code: 'GATE_UNAVAILABLE' });
    out.push(acrTaskGate(gates.acrTask, deps.runAcrTask));
  }
  // Last: its refusals (a bound passed, content refused) read best after the specific gates' reasons.
  out.push(closureGate());
  return out;
}
