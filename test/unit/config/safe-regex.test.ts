/** User regexes: the useful ones compile, the catastrophic ones are refused with a reason. */
import { compileSafeRegex, MAX_PATTERN_LENGTH } from '../../../functions/config/safe-regex';

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
    ['^(?!.*rc).*$', '1.0.0', true],
    ['^https://github.com/nodejs/', 'https://github.com/nodejs/docker-node', true],
    ['^(a|b)*c$', 'ababc', true],
    ['^x{2}$', 'xx', true],
    ['^(\\d+\\.)+\\d+$', '1.2.3', true],
    ['^([a-z]+_)*[a-z]+$', 'a_b_c', true],
    ['a{', 'a{', true],
  ])('accepts %s (against %s → %s)', (pattern, input, matches) => {
    expect(compileSafeRegex(pattern).test(input)).toBe(matches);
  });

  it.each([
    ['(a+)+', 'nests a repetition'],
    ['^(\\d+)*$', 'nests a repetition'],
    ['(.*a){20}', 'nests a repetition'],
    ['([a-z]+-?)+$', 'nests a repetition'],
    ['(a{1,10}){1,10}', 'nests a repetition'],
    ['((ab)+)+', 'nests a repetition'],
    ['((ab)*)+', 'can match the empty string'],
    ['([a-z]+-?)+$', 'nests a repetition'],
    ['(-[a-z]+[a-z]+)*$', 'nests a repetition'],
    ['(-[a-z-]+)*$', 'nests a repetition'],
    ['(a|a)*', 'can both start with "a"'],
    ['(a|ab)+$', 'can both start with "a"'],
    ['(\\d|[0-9])+x', 'can both start with "0"'],
    ['(.|a)*b', 'can both start with'],
    ['(x(b|b))*y', 'can both start with "b"'],
    ['(a?)+', 'can match the empty string'],
    ['(a|)+', 'can match the empty string'],
    ['(^)*a', 'can match the empty string'],
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'backreference'],
  ])('refuses %s (%s)', (pattern, reason) => {
    expect(() => compileSafeRegex(pattern)).toThrow(expect.objectContaining({ code: 'REGEX_UNSAFE', message: expect.stringContaining(reason) }));
  });

  it.each([['(['], ['a)'], ['*a'], ['x{2,1}']])('refuses the invalid pattern %s', (pattern) => {
    expect(() => compileSafeRegex(pattern)).toThrow(expect.objectContaining({ code: 'REGEX_INVALID', message: expect.stringContaining('expected a regular expression') }));
  });

  it('refuses patterns longer than the bound', () => {
    expect(() => compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(expect.objectContaining({ code: 'REGEX_INVALID', message: expect.stringContaining(`at most ${MAX_PATTERN_LENGTH}`) }));
    expect(compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH)).source).toHaveLength(MAX_PATTERN_LENGTH);
  });
});
