/** Durations, sizes, immutable tags and ${VAR} interpolation. */
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../functions/config/duration';
import { parseSize } from '../../../functions/config/size';
import { checkImmutableTagTemplate, renderImmutableTag } from '../../../functions/config/immutable-tag';
import { interpolate } from '../../../functions/config/interpolate';
import { formatPath } from '../../../functions/config/config-path';

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['24', '24x', '', 'h', '1.5h', '-1h', '24 h', '1y'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'DURATION_INVALID', message: expect.stringContaining('expected a duration') }));
  });

  it('formats back to the shortest exact form', () => {
    expect(formatDuration(parseDuration('1d'))).toBe('1d');
    expect(formatDuration(parseDuration('90m'))).toBe('1h30m');
  });
});

describe('parseSize', () => {
  it.each<[string | number, number]>([
    ['500MB', 500_000_000],
    ['500mb', 500_000_000],
    ['1.5GB', 1_500_000_000],
    ['2GiB', 2 * 2 ** 30],
    ['10 KiB', 10_240],
    ['100', 100],
    ['100B', 100],
    [1024, 1024],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each<string | number>(['500XB', 'MB', '', '-1MB', 1.5, -3, 'lots'])('refuses %j', (text) => {
    expect(() => parseSize(text)).toThrow(expect.objectContaining({ code: 'SIZE_INVALID', message: expect.stringContaining('expected a size') }));
  });
});

describe('renderImmutableTag', () => {
  it.each([
    ['{tag}-{digest12}', '20-alpine', '20-alpine-0123456789ab'],
    ['{digest12}', '20', '0123456789ab'],
    ['{tag}_{digest}', 'v1', `v1_${DIGEST.slice(7)}`],
    ['sha-{digest12}-{tag}', 'latest', 'sha-0123456789ab-latest'],
  ])('%s with %s → %s', (template, tag, expected) => {
    expect(renderImmutableTag(template, { tag, digest: DIGEST })).toBe(expected);
  });

  it('always gives a valid tag that keeps the whole digest part', () => {
    fc.assert(
      fc.property(fc.stringMatching(TAG), fc.constantFrom('{tag}-{digest12}', '{tag}.{digest}', 'b{tag}{tag}-{digest12}'), (tag, template) => {
        const out = renderImmutableTag(template, { tag, digest: DIGEST });
        expect(out).toMatch(TAG);
        expect(out).toContain(DIGEST.slice(7, 19));
      }),
    );
  });

  it.each([
    ['{tag}', 'expected {digest12} or {digest}'],
    ['{tag}-{sha}', 'unknown placeholder {sha}'],
    ['-{digest12}', 'not a valid tag'],
    ['{tag}/{digest12}', 'not a valid tag'],
  ])('template %s is refused (%s)', (template, reason) => {
    expect(checkImmutableTagTemplate(template)).toContain(reason);
  });

  it('accepts the default template', () => {
    expect(checkImmutableTagTemplate('{tag}-{digest12}')).toBeUndefined();
  });
});

describe('interpolate', () => {
  it('replaces variables in string values only, keeps $${ literal, and records where each came from', () => {
    const doc = { a: 'x-${A}-${B}', list: ['${A}', 3, true, null], '${KEY}': 'k', lit: '$${A}', plain: '$HOME' };
    const got = interpolate(doc, { A: '1', B: '2' }, formatPath);
    expect(got.issues).toEqual([]);
    expect(got.value).toEqual({ a: 'x-1-2', list: ['1', 3, true, null], '${KEY}': 'k', lit: '${A}', plain: '$HOME' });
    expect([...got.fromEnv]).toEqual([['a', ['A', 'B']], ['list[0]', ['A']]]);
  });

  it('reports every missing or malformed variable with its path', () => {
    const got = interpolate({ r: { 'docker.io': { password: '${MISSING}' } }, x: ['${1BAD}', '${open'] }, {}, formatPath);
    expect(got.issues.map((i) => [formatPath(i.path), i.message])).toEqual([
      ['r["docker.io"].password', 'environment variable MISSING is not set (used as ${MISSING})'],
      ['x[0]', expect.stringContaining('expected an environment variable name')],
      ['x[1]', expect.stringContaining('unterminated')],
    ]);
  });

  it('treats a set but empty variable as a value', () => {
    expect(interpolate({ a: '${E}' }, { E: '' }, formatPath).value).toEqual({ a: '' });
  });
});
