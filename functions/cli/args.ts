/**
 * Command-line parsing with node's own `util.parseArgs`: each command declares its options;
 * an unknown option or a missing value is a usage error (exit 2) that names it.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BasegateError } from '../errors';

export class UsageError extends BasegateError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  state: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Parses `argv` for one command; throws {@link UsageError} with the offending option named. */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
    return parsed;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
}

/** The config file: --config, else $BASEGATE_CONFIG, else ./basegate.yaml when there is one. */
export function requireConfig(command: string, values: { config?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const file = values.config ?? env.BASEGATE_CONFIG ?? (existsSync('basegate.yaml') ? 'basegate.yaml' : undefined);
  if (!file) throw new UsageError(`${command}: no config: pass --config FILE, set BASEGATE_CONFIG, or run where basegate.yaml is`);
  return file;
}
