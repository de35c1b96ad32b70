/**
 * Turns zod issues into config issues a person can act on: the path in the document, what
 * was expected and what was found, and for an unknown key the closest known one.
 */
import type { z } from 'zod';
import { closestKey } from './closest-key';
import type { PathSegment } from './config-path';

/** One problem in the config, at a path in the document. */
export interface ConfigIssue {
  path: PathSegment[];
  message: string;
}

type Issue = z.core.$ZodIssue;

/** Converts zod issues for `data` (validated against `schema`) into config issues. */
export function schemaIssues(issues: readonly Issue[], data: unknown, schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) convert(issue, [], data, schema, out);
  return out;
}

function convert(issue: Issue, prefix: PathSegment[], data: unknown, schema: z.ZodType, out: ConfigIssue[]): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  const found = isSecretPath(path) ? describeSecret(valueAt(data, path)) : describeValue(valueAt(data, path));
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const suggestion = closestKey(key, known);
        const hint = suggestion ? `, did you mean "${suggestion}"?` : '';
        out.push({ path: [...path, key], message: `unknown key "${key}"${hint} (expected one of: ${known.join(', ')})` });
      }
      return;
    }
    case 'invalid_union': {
      // Report the branch that matched the value's shape; when none did, list what each expected.
      const shaped = issue.errors.find((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
      if (shaped) {
        for (const inner of shaped) convert(inner, path, data, schema, out);
        return;
      }
      const expected = issue.errors.map((branch) => expectation(branch[0])).filter(Boolean);
      out.push({ path, message: `expected ${[...new Set(expected)].join(' or ')}, found ${found}` });
      return;
    }
    case 'custom': {
      const params = (issue.params ?? {}) as { expected?: string; complete?: boolean };
      out.push({ path, message: params.expected ? `expected ${params.expected}, found ${found}` : issue.message });
      return;
    }
    default:
      out.push({ path, message: `expected ${expectation(issue)}, found ${found}` });
  }
}

/** What an issue expected, as a noun phrase. */
function expectation(issue: Issue | undefined): string {
  if (!issue) return 'something else';
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NOUNS[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `a list of at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'a non-empty string' : `a string of at least ${issue.minimum} characters`;
      return `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `a list of at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `a string of at most ${issue.maximum} characters`;
      return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'custom':
      return ((issue.params ?? {}) as { expected?: string }).expected ?? issue.message;
    default:
      return issue.message;
  }
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** A short description of a value for "found ...". */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return String(value);
}

/** Paths whose values are credentials (`registries[h].password`, a webhook's `secret` or `headers`, a `token`): never shown. */
function isSecretPath(path: readonly PathSegment[]): boolean {
  return path.some((segment) => typeof segment === 'string' && /password|secret|token|^headers$/i.test(segment));
}

/** What a secret value is, without its value. */
function describeSecret(value: unknown): string {
  if (value === undefined || value === null || typeof value === 'object') return describeValue(value);
  return `a ${typeof value} (not shown: it is a credential)`;
}

/** The value at a path in plain data, or undefined. */
export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The keys the schema allows at a path (for "did you mean"). */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let nodes: unknown[] = [schema];
  for (const segment of path) nodes = nodes.flatMap((n) => children(unwrap(n), segment));
  return [...new Set(nodes.flatMap((n) => unwrap(n)).flatMap((n) => Object.keys(defOf(n).shape ?? {})))];
}

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
}

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

/** Strips optional/default/pipe wrappers; a union yields each option. */
function unwrap(schema: unknown): unknown[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return unwrap(def.innerType);
    case 'pipe':
      return unwrap(def.in);
    case 'union':
      return (def.options ?? []).flatMap(unwrap);
    default:
      return [schema];
  }
}

function children(schemas: unknown[], segment: PathSegment): unknown[] {
  return schemas.flatMap((s) => {
    const def = defOf(s);
    if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment]) return [def.shape[segment]];
    if (def.type === 'array' && typeof segment === 'number') return [def.element];
    if (def.type === 'record') return [def.valueType];
    return [];
  });
}
