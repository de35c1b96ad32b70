#!/usr/bin/env node
/**
 * The `basegate` CLI: a thin shell over the same pipeline the Functions app runs.
 * Exit codes (functions/cli/exit-codes.ts): 0 ok, 1 operational failure, 2 bad config or
 * usage (nothing touched), 3 state locked by another process, 130 interrupted.
 */
import { runApproval, APPROVE_USAGE } from './cli/commands/approve';
import { CHECK_USAGE, runCheck } from './cli/commands/check';
import { REPLAY_POISON_USAGE, runReplayPoison } from './cli/commands/replay-poison';
import { ROLLBACK_USAGE, runRollback } from './cli/commands/rollback';
import { runStatus, STATUS_USAGE } from './cli/commands/status';
import { runSync, SYNC_USAGE } from './cli/commands/sync';
import { runWatch, WATCH_USAGE } from './cli/commands/watch';
import { EXIT } from './cli/exit-codes';
import { consoleOutput, type Output } from './cli/output';
import { BasegateError, ConfigError, describeError } from './errors';

const COMMANDS: Record<string, { usage: string; run(argv: string[], out: Output): Promise<number> }> = {
  check: { usage: CHECK_USAGE, run: runCheck },
  sync: { usage: SYNC_USAGE, run: runSync },
  watch: { usage: WATCH_USAGE, run: runWatch },
  status: { usage: STATUS_USAGE, run: runStatus },
  approve: { usage: APPROVE_USAGE, run: (argv, out) => runApproval('approved', argv, out) },
  reject: { usage: APPROVE_USAGE, run: (argv, out) => runApproval('rejected', argv, out) },
  rollback: { usage: ROLLBACK_USAGE, run: runRollback },
  'replay-poison': { usage: REPLAY_POISON_USAGE, run: runReplayPoison },
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
  try {
    return await command.run(rest, out);
  } catch (err) {
    return reportError(err, out);
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
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
