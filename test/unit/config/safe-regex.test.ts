/** User regexes: JavaScript-style patterns compile and match as written; what RE2 cannot run is refused with a reason. */
import { compileSafeRegex, MAX_PATTERN_LENGTH } from '../../../functions/config/safe-regex';
import { canonicalJson } from '../../../functions/config/fingerprint';

describe('compileSafeRegex', () => {
  it.each([
    ['^\\d+-alpine$', '20-alpine', true],
    ['^\\d+\\.\\d+\\.\\d+-alpine$', '20.11.1-alpine', true],
    ['^\\d+\\.\\d+\\.\\d+-alpine$', '20.11-alpine', false],
    ['rc', '1.0.0-rc1', true],
    ['^(alpine|slim|bookworm)+$', 'alpineslim', true],
    ['^v?(\\d{1,3}\\.){2}\\d{1,3}$', 'v1.2.3', true],
    ['^[a-z]+(-[a-z]+)*$', 'bookworm-slim', true],
    ['^(?:\\d+\\.)?\\d+$', '3.12', true],
    ['^[^-]+$', 'latest', true],
    ['^[^-]+$', 'node-slim', false],
    ['^https://github.com/nodejs/', 'https://github.com/nodejs/docker-node', true],
    ['^(a|b)*c$', 'ababc', true],
    ['^x{2}$', 'xx', true],
    ['^x{2}$', 'xxx', false],
    ['^(\\d+\\.)+\\d+$', '1.2.3', true],
    ['^([a-z]+_)*[a-z]+$', 'a_b_c', true],
    ['^(?<major>\\d+)-alpine$', '22-alpine', true],
    ['alpine$', 'alpine\n', false],
    // Patterns a backtracking engine takes exponential time on are fine here.
    ['(a+)+$', 'aaaa', true],
    ['(a|ab)+$', 'abab', true],
  ])('compiles %s (against %j → %s)', (pattern, input, matches) => {
    expect(compileSafeRegex(pattern).test(input)).toBe(matches);
  });

  it.each([
    ['^(?!.*rc).*$', 'lookarounds are not supported: use deny'],
    ['(?<=v)\\d+', 'lookarounds are not supported'],
    ['(a)\\1', 'backreferences are not supported'],
    ['(?<n>a)\\k<n>', 'backreferences are not supported'],
    ['([', 'missing closing ]'],
    ['a)', 'unexpected )'],
    ['*a', 'missing argument to repetition operator'],
    ['x{2,1}', 'invalid repeat count'],
  ])('refuses %s, saying why (%s)', (pattern, reason) => {
    expect(() => compileSafeRegex(pattern)).toThrow(
      expect.objectContaining({ code: 'REGEX_INVALID', message: expect.stringMatching(new RegExp(`^expected a regular expression \\(RE2 syntax\\), found .*${reason.replace(/[()]/g, '\\$&')}`)) }),
    );
  });

  it('refuses patterns longer than the bound', () => {
    expect(() => compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(expect.objectContaining({ code: 'REGEX_INVALID', message: expect.stringContaining(`at most ${MAX_PATTERN_LENGTH}`) }));
    expect(compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH)).source).toHaveLength(MAX_PATTERN_LENGTH);
  });

  it('fingerprints as /source/, as a RegExp did, so upgrading does not count as a gate change', () => {
    expect(canonicalJson({ allow: [compileSafeRegex('^\\d+$')] })).toBe(canonicalJson({ allow: [/^\d+$/] }));
  });
});
