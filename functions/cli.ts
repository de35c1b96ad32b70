#!/usr/bin/env node
/**
 * The `basegate` CLI: a thin shell over the same pipeline the Functions app runs.
 * Exit codes (functions/cli/exit-codes.ts): 0 ok, 1 operational failure, 2 bad config or
 * usage (nothing touched), 3 state locked by another process, 130 interrupted.
 */
import type * as approve from './cli/commands/approve';
import type * as check from './cli/commands/check';
import type * as diff from './cli/commands/diff';
import type * as replayPoison from './cli/commands/replay-poison';
import type * as rollback from './cli/commands/rollback';
import type * as status from './cli/commands/status';
import type * as sync from './cli/commands/sync';
import type * as watch from './cli/commands/watch';
import type { Output } from './cli/output';
import { APPROVE_USAGE, CHECK_USAGE, DIFF_USAGE, REPLAY_POISON_USAGE, ROLLBACK_USAGE, STATUS_USAGE, SYNC_USAGE, WATCH_USAGE } from './cli/usage';
import { EXIT } from './cli/exit-codes';
import { consoleOutput } from './cli/output';
import { BasegateError, ConfigError, describeError } from './errors';
import { keepWasmOnBaseline } from './cli/wasm-tiering';
import type * as cliTelemetry from './telemetry/cli-telemetry';
import { wantsExporter } from './telemetry/otel-settings';

type Run = (argv: string[], out: Output) => Promise<number>;

/**
 * Each command's module is required when it runs: a no-op sync should not pay for the Azure SDKs
 * replay-poison needs. The type-only imports above keep these calls checked and load nothing.
 */
const COMMANDS: Record<string, { usage: string; run: Run }> = {
  check: { usage: CHECK_USAGE, run: (argv, out) => (require('./cli/commands/check') as typeof check).runCheck(argv, out) },
  sync: { usage: SYNC_USAGE, run: (argv, out) => (require('./cli/commands/sync') as typeof sync).runSync(argv, out) },
  watch: { usage: WATCH_USAGE, run: (argv, out) => (require('./cli/commands/watch') as typeof watch).runWatch(argv, out) },
  status: { usage: STATUS_USAGE, run: (argv, out) => (require('./cli/commands/status') as typeof status).runStatus(argv, out) },
  approve: { usage: APPROVE_USAGE, run: (argv, out) => (require('./cli/commands/approve') as typeof approve).runApproval('approved', argv, out) },
  reject: { usage: APPROVE_USAGE, run: (argv, out) => (require('./cli/commands/approve') as typeof approve).runApproval('rejected', argv, out) },
  diff: { usage: DIFF_USAGE, run: (argv, out) => (require('./cli/commands/diff') as typeof diff).runDiff(argv, out) },
  rollback: { usage: ROLLBACK_USAGE, run: (argv, out) => (require('./cli/commands/rollback') as typeof rollback).runRollback(argv, out) },
  'replay-poison': { usage: REPLAY_POISON_USAGE, run: (argv, out) => (require('./cli/commands/replay-poison') as typeof replayPoison).runReplayPoison(argv, out) },
};

const HELP = [
  'basegate: keeps a private registry stocked with vetted copies of public base images.',
  '',
  'Usage:',
  ...[...new Set(Object.values(COMMANDS).map((c) => c.usage))].map((usage) => `  ${usage}`),
  '',
  'Exit codes: 0 ok, 1 something failed, 2 bad config or usage, 3 state locked, 130 interrupted.',
].join('\n');

/** Runs one command line and returns the exit code; never throws. */
export async function main(argv: string[], out: Output = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out.result(HELP);
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.progress(`basegate: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out.result(`Usage: ${command.usage}`);
    return EXIT.OK;
  }
  let stopTelemetry: (() => Promise<void>) | undefined;
  try {
    // OpenTelemetry's SDK only when OTEL_* settings ask for an exporter; serve starts its own (with /metrics).
    if (name !== 'serve' && wantsExporter(process.env)) stopTelemetry = await (require('./telemetry/cli-telemetry') as typeof cliTelemetry).startCliTelemetry(process.env);
    return await command.run(rest, out);
  } catch (err) {
    return reportError(err, out);
  } finally {
    await stopTelemetry?.().catch(() => undefined);
  }
}

function reportError(err: unknown, out: Output): number {
  if (err instanceof ConfigError || (err instanceof BasegateError && (err.code === 'USAGE' || err.code.startsWith('CONFIG') || err.code === 'REFERENCE_INVALID'))) {
    out.progress(`basegate: ${err.message}`);
    return EXIT.USAGE;
  }
  if (err instanceof BasegateError && err.code === 'STATE_LOCKED') {
    out.progress(`basegate: ${err.message}`);
    return EXIT.LOCKED;
  }
  out.progress(`basegate: ${describeError(err)}`);
  return EXIT.FAILED;
}

if (require.main === module) {
  keepWasmOnBaseline();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
