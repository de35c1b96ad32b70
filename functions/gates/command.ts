/**
 * Gate `command`: an external program (a scanner such as trivy or grype, a test script) judges
 * the digest. Exit 0 passes, any other exit fails; a timeout, a program that cannot start or
 * one killed by a signal is an error, so `pending` (issue #5: an error never approves).
 *
 * The program gets, in its environment:
 * - `IMAGE`: the pinned source as a pullable reference, `<registry>/<repository>@<digest>`;
 * - `PLATFORM` (one run per platform with `perPlatform: true`) or else `PLATFORMS`, comma-separated:
 *   the image's platforms, narrowed to the required ones when the image lists `platforms:`;
 * - `BASEGATE_TAG`: the tag under validation.
 * Nothing else of basegate's environment is passed but a few harmless variables (PATH, HOME,
 * locale, TMPDIR): secrets stay out unless listed in `env:`. In the argv form (no shell) these
 * variables are also expanded in the arguments (`$IMAGE` or `${IMAGE}`), as the config example
 * `["trivy", "image", "--exit-code", "1", "$IMAGE"]` needs; the string form goes to `/bin/sh -c`.
 *
 * The last 4 KiB of stdout+stderr go into `detail.output` for the audit, scrubbed first
 * (scrub-output.ts): every value the program got through `env:` and every secret basegate
 * resolved (`secrets`) become `***`, terminal control is removed; the reason's quoted last line
 * comes from that scrubbed text. The command line is not recorded: config interpolation may
 * have put a secret in it.
 */
import { ConfigError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import type { GateResult } from '../pipeline/records';
import { formatDuration } from './human-units';
import { judgedPlatforms, noPlatformReason } from './judged-platforms';
import { runProcess, type RunProcessResult } from './run-process';
import { longestSecret, scrubOutput } from './scrub-output';

/** Options of {@link commandGate} (the `command:` entry of `gates:`). */
export interface CommandGateOptions {
  /** Program and arguments (no shell), or a script run by `/bin/sh -c`. */
  run: readonly string[] | string;
  /** Milliseconds one run may take before its process group is killed. */
  timeout?: number;
  /** One run per platform with `PLATFORM` set, instead of one run with `PLATFORMS`. */
  perPlatform?: boolean;
  /** More environment: names passed through from basegate's environment, or name → value. */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /** Working directory (the config file's directory, so `./scripts/test.sh` works). */
  cwd?: string;
  /** Where passed-through variables are read from; `process.env` by default. */
  environment?: Readonly<Record<string, string | undefined>>;
  /** SIGTERM→SIGKILL delay on timeout, in milliseconds. */
  killGrace?: number;
  /** Bytes of output kept for the audit. */
  outputTail?: number;
  /** Secrets basegate resolved (config `${VAR}` values, Key Vault secrets), scrubbed from the output besides the `env:` values. */
  secrets?: () => Iterable<string>;
}

const DEFAULTS = {
  /** A scan with a cold vulnerability database download takes minutes; ten leaves room without hanging a sync. */
  timeout: 10 * 60_000,
  /** Long enough for a scanner to remove its temp files on SIGTERM. */
  killGrace: 5000,
  /** Issue #5: the output tail kept in the audit is the last 4 KiB. */
  outputTail: 4096,
  /** Variables a program needs to run at all and that never hold secrets. */
  passEnv: ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'],
} as const;

/** {@link CommandGateOptions} with defaults filled in and the argv decided. */
export interface ResolvedCommandGateOptions {
  argv: readonly string[];
  /** True for the string form (the shell expands the variables itself). */
  shell: boolean;
  timeout: number;
  perPlatform: boolean;
  env: Record<string, string>;
  cwd?: string;
  killGrace: number;
  outputTail: number;
  /** The values scrubbed from the output: what `env:` gave the program, and basegate's own secrets. */
  secrets: () => string[];
}

/** The variables basegate sets; they win over `env:`. */
const OWN = ['IMAGE', 'PLATFORM', 'PLATFORMS', 'BASEGATE_TAG'] as const;
const OWN_REFERENCE = /\$(?:\{(IMAGE|PLATFORMS|PLATFORM|BASEGATE_TAG)\}|(IMAGE|PLATFORMS|PLATFORM|BASEGATE_TAG)(?![A-Za-z0-9_]))/g;

/** Fills in defaults, builds the base environment, and refuses contradictions. */
export function resolveCommandGateOptions(options: CommandGateOptions, path = 'gates.command'): ResolvedCommandGateOptions {
  const shell = typeof options.run === 'string';
  const argv = shell ? ['/bin/sh', '-c', options.run as string] : [...(options.run as readonly string[])];
  if (shell ? !(options.run as string).trim() : argv.length === 0 || !argv[0]) throw new ConfigError('run must name a program (a non-empty argv or script)', { path: `${path}.run` });
  const timeout = options.timeout ?? DEFAULTS.timeout;
  if (!(Number.isFinite(timeout) && timeout > 0)) throw new ConfigError(`timeout must be a positive duration, got ${timeout}`, { path: `${path}.timeout` });
  const perPlatform = options.perPlatform ?? false;
  const script = shell ? (options.run as string) : argv.join(' ');
  for (const m of script.matchAll(OWN_REFERENCE)) {
    const name = m[1] ?? m[2];
    if (name === 'PLATFORM' && !perPlatform) throw new ConfigError('$PLATFORM is set only with perPlatform: true (use $PLATFORMS, comma-separated)', { path: `${path}.run` });
    if (name === 'PLATFORMS' && perPlatform) throw new ConfigError('$PLATFORMS is not set with perPlatform: true (use $PLATFORM)', { path: `${path}.run` });
  }
  const source = options.environment ?? process.env;
  const env: Record<string, string> = {};
  const pass = (name: string): void => {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  };
  DEFAULTS.passEnv.forEach(pass);
  if (Array.isArray(options.env)) (options.env as readonly string[]).forEach(pass);
  else if (options.env) Object.assign(env, options.env);
  for (const name of Object.keys(env)) {
    if ((OWN as readonly string[]).includes(name)) throw new ConfigError(`env must not set ${name}: basegate sets it`, { path: `${path}.env` });
  }
  // What `env:` added to the harmless defaults is what the program may print back: a scanner's credentials.
  const given = Object.entries(env).filter(([name]) => !(DEFAULTS.passEnv as readonly string[]).includes(name)).map(([, value]) => value);
  const secrets = (): string[] => [...given, ...(options.secrets?.() ?? [])];
  return { argv, shell, timeout, perPlatform, env, cwd: options.cwd, killGrace: options.killGrace ?? DEFAULTS.killGrace, outputTail: options.outputTail ?? DEFAULTS.outputTail, secrets };
}

interface Run extends RunProcessResult {
  platform?: string;
}

/** Runs the program on the pinned digest: exit 0 passes, another exit fails, an error or timeout is pending. */
export function commandGate(options: CommandGateOptions): Gate {
  const resolved = resolveCommandGateOptions(options);
  const program = resolved.shell ? 'sh -c' : resolved.argv[0];
  return {
    name: 'command',
    async evaluate(context) {
      const platforms = (await judgedPlatforms(context)).map((p) => p.platform);
      const own: Record<string, string> = { IMAGE: (context.pullRef?.(context.source) ?? context.source).pinned().toString(), BASEGATE_TAG: context.tag };
      const runs: Run[] = [];
      if (resolved.perPlatform) {
        if (platforms.length === 0) return { gate: 'command', outcome: 'fail', reasons: [noPlatformReason(context)] };
        // One at a time: scanners are heavy, and the machine is shared with the other stages.
        for (const platform of platforms) runs.push({ platform, ...(await runCommand(resolved, { ...own, PLATFORM: platform }, context.signal)) });
      } else {
        runs.push(await runCommand(resolved, { ...own, PLATFORMS: platforms.join(',') }, context.signal));
      }
      return judge(program, runs, resolved.timeout);
    },
  };
}

/** Runs the resolved program once with basegate's variables `own` (also expanded in argv); shared with the vulnerabilities gate's scanner. */
export async function runCommand(resolved: ResolvedCommandGateOptions, own: Record<string, string>, signal?: AbortSignal, extra: { stdoutBytes?: number } = {}): Promise<RunProcessResult> {
  const argv = resolved.shell ? resolved.argv : resolved.argv.map((arg) => arg.replace(OWN_REFERENCE, (m, braced?: string, bare?: string) => own[(braced ?? bare) as string] ?? m));
  const secrets = resolved.secrets();
  // A longer tail than kept, by the longest secret: one cut at the tail's start is still found, then cut away.
  const tailBytes = resolved.outputTail + longestSecret(secrets);
  const result = await runProcess({ argv, env: { ...resolved.env, ...own }, cwd: resolved.cwd, timeoutMs: resolved.timeout, killGraceMs: resolved.killGrace, tailBytes, signal, ...extra });
  // The tail is stored and shown; it leaves here scrubbed (a report on stdout is parsed, not stored).
  const clean = scrubOutput(result.output, secrets);
  return { ...result, output: clean.length > resolved.outputTail ? clean.slice(clean.length - resolved.outputTail) : clean };
}

/** Any failing run fails the gate; otherwise any run that errored leaves it pending. */
function judge(program: string, runs: Run[], timeout: number): GateResult {
  const detail = {
    program,
    // Each run's own tail only with one run per platform; `output` below is the deciding run's.
    runs: runs.map((r) => ({ platform: r.platform, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, spawnError: r.spawnError, durationMs: r.durationMs, ...(r.platform ? { output: r.output } : {}) })),
  };
  const on = (r: Run): string => (r.platform ? ` on ${r.platform}` : '');
  // A run we cut short (timeout, shutdown) is an error whatever it exited with: a trap may exit 0 or 1.
  const interrupted = (r: Run): boolean => Boolean(r.spawnError) || r.timedOut || r.aborted;
  const failed = runs.filter((r) => !interrupted(r) && r.exitCode !== null && r.exitCode !== 0);
  const errored = runs.filter((r) => interrupted(r) || r.exitCode === null);
  const deciding = failed[0] ?? errored[0] ?? runs[runs.length - 1];
  const withOutput = { ...detail, output: deciding.output };
  if (failed.length) return { gate: 'command', outcome: 'fail', reasons: failed.map((r) => `${program} exited ${r.exitCode}${on(r)}${lastLine(r.output)}`), detail: withOutput };
  if (errored.length) {
    const reasons = errored.map((r) =>
      r.spawnError
        ? `${program} could not be started${on(r)}: ${r.spawnError}`
        : r.timedOut
          ? `${program} timed out after ${formatDuration(timeout)}${on(r)}, will retry`
          : r.aborted
            ? `${program} was stopped${on(r)} (shutting down), will retry`
            : `${program} was killed by ${r.signal}${on(r)}, will retry`,
    );
    return { gate: 'command', outcome: 'pending', reasons, detail: withOutput };
  }
  return { gate: 'command', outcome: 'pass', reasons: [], detail: withOutput };
}

/** `: <last non-empty output line>`, short: the first thing a person reading `status` needs. */
function lastLine(output: string): string {
  const line = output.trimEnd().split('\n').pop()?.trim();
  return line ? `: ${line.length > 200 ? `${line.slice(0, 200)}...` : line}` : '';
}
