/**
 * Loads basegate.yaml: YAML → `${VAR}` interpolation → schema → semantic checks → {@link Config}.
 * Every problem is a {@link ConfigError} naming the file, the line, the path in the document
 * (`images[2].tags[0]`), what was expected and what was found. All problems of a stage are
 * reported together (the first in the headline), so one run fixes them all.
 * Values that came from environment variables are never echoed: `${VAR}` is shown instead.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../errors';
import type { Config } from './config';
import { formatPath } from './config-path';
import { configHash } from './fingerprint';
import { interpolate } from './interpolate';
import { resolveConfig } from './resolve-config';
import { configSchema } from './schema';
import { schemaIssues, type ConfigIssue } from './schema-issues';
import { positionOf } from './yaml-position';

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** The file the text came from: named in errors, and relative paths in the config are resolved against its directory. */
  file: string;
  /** Variables for `${VAR}`; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Most problems listed in one error: beyond that, the file is probably not a basegate config at all. */
const MAX_LISTED = 20;
/** YAML aliases expanded at most this many times (billion-laughs guard). */
const MAX_ALIAS_COUNT = 100;

/** Reads and loads a config file; throws {@link ConfigError}. */
export async function loadConfig(file: string, env: Record<string, string | undefined> = process.env): Promise<Config> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'expected a config file, found none' : `cannot read the config file (${code ?? String(err)})`, {
      file,
      code: code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE',
    });
  }
  return parseConfig(text, { file, env });
}

/** Loads a config from its text; throws {@link ConfigError}. */
export function parseConfig(text: string, options: ParseConfigOptions): Config {
  const file = options.file;
  const env = options.env ?? process.env;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lines.linePos(err.pos[0]);
    throw new ConfigError(`expected valid YAML, found ${err.code}: ${err.message.replace(/ at line \d+, column \d+.*$/s, '')}`, {
      file,
      line: pos?.line,
      column: pos?.col,
      code: 'CONFIG_YAML',
    });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError(`expected YAML without excessive aliases, found: ${(err as Error).message}`, { file, code: 'CONFIG_YAML' });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail([{ path: [], message: `expected a mapping with target: and images:, found ${raw === null || raw === undefined ? 'an empty document' : Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}` }], file, doc, lines, []);
  }
  const hash = configHash(raw);
  const interpolated = interpolate(raw, env, formatPath);
  const secrets = [...new Set([...interpolated.fromEnv.values()].flat())].map((name) => ({ name, value: env[name] ?? '' }));
  if (interpolated.issues.length > 0) fail(interpolated.issues, file, doc, lines, secrets);

  const parsed = configSchema.safeParse(interpolated.value);
  if (!parsed.success) fail(schemaIssues(parsed.error.issues, interpolated.value, configSchema), file, doc, lines, secrets);

  const issues: ConfigIssue[] = [];
  const config = resolveConfig(parsed.data, path.resolve(file), hash, issues);
  if (issues.length > 0) fail(issues, file, doc, lines, secrets);
  return { ...config, secrets: secrets.map((s) => s.value).filter((v) => v.length > 0) };
}

/** Throws one ConfigError for the issues: the first in the headline, the others listed below it. */
function fail(issues: ConfigIssue[], file: string, doc: Document, lines: LineCounter, secrets: Array<{ name: string; value: string }>): never {
  const located = issues
    .map((issue) => ({ ...issue, at: formatPath(issue.path), pos: positionOf(doc, lines, issue.path), message: redact(issue.message, secrets) }))
    // In the order of the file, as a person reads it (the schema reports in its own order).
    .sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.column ?? 0) - (b.pos?.column ?? 0));
  const [first, ...rest] = located;
  const listed = rest.slice(0, MAX_LISTED - 1).map((i) => `\n  ${file}${i.pos ? `:${i.pos.line}:${i.pos.column}` : ''}: ${i.at}: ${i.message}`);
  const more = rest.length > MAX_LISTED - 1 ? `\n  (and ${rest.length - MAX_LISTED + 1} more)` : '';
  throw new ConfigError(`${first.message}${listed.join('')}${more}`, { file, path: first.at, line: first.pos?.line, column: first.pos?.column });
}

/** Replaces values taken from the environment by their `${VAR}` (short values are left: they are not secrets and would garble the text). */
function redact(message: string, secrets: Array<{ name: string; value: string }>): string {
  let out = message;
  for (const { name, value } of secrets) {
    if (value.length >= 4) out = out.split(value).join(`\${${name}}`);
  }
  return out;
}
