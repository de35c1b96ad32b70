/**
 * `${VAR}` in string values is replaced by the environment variable `VAR`, so that secrets
 * stay out of the file. `$${VAR}` is a literal `${VAR}`. Only values are interpolated, never
 * keys, and never after parsing: a variable cannot inject YAML structure.
 * A missing variable is an error that names it and where it is used; an empty one is a value.
 */
import type { PathSegment } from './config-path';

/** A problem found while interpolating, with its path in the document. */
export interface InterpolationIssue {
  path: PathSegment[];
  message: string;
}

/** The interpolated document, which paths took values from which variables, and what went wrong. */
export interface Interpolated {
  value: unknown;
  /** Formatted path → variables its value came from (error messages show these instead of secret values). */
  fromEnv: Map<string, string[]>;
  issues: InterpolationIssue[];
}

const TOKEN = /\$\$\{|\$\{([^{}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces `${VAR}` in every string value of `document` from `env`; collects every missing or malformed reference. */
export function interpolate(document: unknown, env: Record<string, string | undefined>, keyOf: (path: PathSegment[]) => string): Interpolated {
  const fromEnv = new Map<string, string[]>();
  const issues: InterpolationIssue[] = [];

  const visit = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') return interpolateString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = visit(v, [...path, k]);
      return out;
    }
    return value;
  };

  const interpolateString = (text: string, path: PathSegment[]): string => {
    const used: string[] = [];
    const out = text.replace(TOKEN, (token: string, inner: string | undefined) => {
      if (token === '$${') return '${';
      if (inner === undefined) {
        issues.push({ path, message: 'expected ${NAME} with a closing brace, found an unterminated "${" (write $${ for a literal "${")' });
        return token;
      }
      if (!NAME.test(inner)) {
        issues.push({ path, message: `expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*) in \${...}, found ${JSON.stringify(inner)}` });
        return token;
      }
      const resolved = env[inner];
      if (resolved === undefined) {
        issues.push({ path, message: `environment variable ${inner} is not set (used as \${${inner}})` });
        return token;
      }
      used.push(inner);
      return resolved;
    });
    if (used.length > 0) fromEnv.set(keyOf(path), used);
    return out;
  };

  return { value: visit(document, []), fromEnv, issues };
}
