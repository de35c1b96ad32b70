#!/usr/bin/env node
/**
 * The `basegate` CLI: a thin shell over the same pipeline the Functions app runs.
 * Exit codes (functions/cli/exit-codes.ts): 0 ok, 1 operational failure, 2 bad config or
 * usage (nothing touched), 3 state locked by another process, 130 interrupted.
 */
import type { Output } from './cli/output';
import { APPROVE_USAGE, CHECK_USAGE, REPLAY_POISON_USAGE, ROLLBACK_USAGE, STATUS_USAGE, SYNC_USAGE, WATCH_USAGE } from './cli/usage';
import { EXIT } from './cli/exit-codes';
import { consoleOutput } from './cli/output';
import { BasegateError, ConfigError, describeError } from './errors';

type Run = (argv: string[], out: Output) => Promise<number>;

/** Each command is loaded when it runs: a no-op sync should not pay for the Azure SDKs replay-poison needs. */
const COMMANDS: Record<string, { usage: string; load(): Promise<Run> }> = {
  check: { usage: CHECK_USAGE, load: async () => (require('./cli/commands/check') as typeof import('./cli/commands/check')).runCheck },
  sync: { usage: SYNC_USAGE, load: async () => (require('./cli/commands/sync') as typeof import('./cli/commands/sync')).runSync },
  watch: { usage: WATCH_USAGE, load: async () => (require('./cli/commands/watch') as typeof import('./cli/commands/watch')).runWatch },
  status: { usage: STATUS_USAGE, load: async () => (require('./cli/commands/status') as typeof import('./cli/commands/status')).runStatus },
  approve: { usage: APPROVE_USAGE, load: async () => { const { runApproval } = require('./cli/commands/approve') as typeof import('./cli/commands/approve'); return (argv, out) => runApproval('approved', argv, out); } },
  reject: { usage: APPROVE_USAGE, load: async () => { const { runApproval } = require('./cli/commands/approve') as typeof import('./cli/commands/approve'); return (argv, out) => runApproval('rejected', argv, out); } },
  rollback: { usage: ROLLBACK_USAGE, load: async () => (require('./cli/commands/rollback') as typeof import('./cli/commands/rollback')).runRollback },
  'replay-poison': { usage: REPLAY_POISON_USAGE, load: async () => (require('./cli/commands/replay-poison') as typeof import('./cli/commands/replay-poison')).runReplayPoison },
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
    return await (await command.load())(rest, out);
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
