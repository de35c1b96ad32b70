/**
 * User regular expressions (tag policies, immutable tags, label gates), matched in linear time.
 *
 * JavaScript regexes backtrack: `(a+)+$`, `((ab)?[0-9a-f])*x` or `.*.*.*.*x` take exponential
 * or high-polynomial time on a failing input, and label values come from untrusted images.
 * A static check on JavaScript patterns kept missing cases (a property test found one after
 * another), so user patterns are compiled by RE2 (re2js, a port of Google's RE2): matching is
 * linear in the input, whatever the pattern. RE2 syntax is JavaScript's without lookarounds
 * and backreferences, which are refused with a hint (`deny` covers what `(?!...)` was for).
 * Patterns are unanchored (`test` finds a match anywhere), without flags.
 */
import { RE2JS } from 're2js';
import { BasegateError } from '../errors';

/** Longest pattern accepted: tag and label patterns are short; a long one is a mistake or an attack. */
export const MAX_PATTERN_LENGTH = 256;

/** A compiled user pattern: `test` is linear-time. Serialises as `/source/`, as a RegExp did (config fingerprints). */
export class SafeRegex {
  constructor(
    /** The pattern as written. */
    readonly source: string,
    private readonly re: RE2JS,
  ) {}

  /** True when the pattern matches somewhere in `input`. */
  test(input: string): boolean {
    return this.re.test(input);
  }

  toJSON(): string {
    return `/${this.source}/`;
  }
}

/** Compiles a user pattern for linear-time matching; throws `REGEX_INVALID` saying what is wrong with it. */
export function compileSafeRegex(pattern: string): SafeRegex {
  if (typeof pattern !== 'string') throw new BasegateError('REGEX_INVALID', `expected a regular expression, found ${typeof pattern}`);
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new BasegateError('REGEX_INVALID', `expected a regular expression of at most ${MAX_PATTERN_LENGTH} characters, found ${pattern.length}`);
  }
  try {
    return new SafeRegex(pattern, RE2JS.compile(pattern));
  } catch (err) {
    throw new BasegateError('REGEX_INVALID', `expected a regular expression (RE2 syntax), found ${JSON.stringify(pattern)}: ${(err as Error).message}${hint(pattern, (err as Error).message)}`);
  }
}

/** What to write instead of the JavaScript-only constructs RE2 refuses. */
function hint(pattern: string, error: string): string {
  if (/\(\?<?[=!]/.test(pattern)) return ' (lookarounds are not supported: use deny for tags to leave out)';
  if (/\\[1-9]|\\k</.test(pattern)) return ' (backreferences are not supported)';
  if (error.includes('invalid repeat count')) return ' (a count {min,max} needs min ≤ max ≤ 1000, and nested counts multiply: (a{0,40}){0,40} is 1600)';
  return '';
}
