/**
 * The bound compileSafeRegex promises, as a property over generated patterns: a pattern is
 * either refused (REGEX_UNSAFE / REGEX_INVALID) or matches any tag-length input (≤ 128
 * characters) in bounded time, adversarial inputs included (a long run of characters the
 * pattern repeats, then one that makes it fail, so that every way of splitting is tried).
 * This property found `.*.*.*.*.*x` accepted and taking 49 s on a 128-character tag.
 */
import * as fc from 'fast-check';
import { compileSafeRegex } from '../../functions/config/safe-regex';

/** Milliseconds a match may take; accepted patterns take well under 5 ms, a cubic one already 130 ms. */
const BUDGET_MS = 60;
const ATOMS = ['a', 'b', '-', '.', '\\d', '[a-z]', '[^-]', '\\w', '(a|b)', '(ab)', '(a|ab)', '[0-9a-f]'];
const QUANTIFIERS = ['', '', '*', '+', '?', '{1,3}', '{0,40}', '{2}'];

/** Patterns from a small grammar: sequences of quantified atoms and groups, alternation, anchors. */
const pattern: fc.Arbitrary<string> = fc.letrec<{ seq: string; item: string }>((tie) => ({
  item: fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => a + q) },
    { weight: 1, arbitrary: fc.tuple(tie('seq'), fc.constantFrom(...QUANTIFIERS), fc.option(tie('seq'), { nil: undefined })).map(([s, q, alt]) => `(${s}${alt ? `|${alt}` : ''})${q}`) },
  ),
  seq: fc.array(tie('item'), { minLength: 1, maxLength: 6 }).map((items) => items.join('')),
})).seq.chain((body) => fc.tuple(fc.boolean(), fc.boolean()).map(([start, end]) => `${start ? '^' : ''}${body}${end ? '$' : ''}`));

/** Inputs that make a backtracking matcher try every split: long runs of what the pattern repeats, then a character that fails it. */
function adversarial(p: string, length: number): string[] {
  const literals = [...new Set(p.replace(/\\[a-z]|\[[^\]]*\]|[(){}|*+?^$,\d]/g, '').split(''))].filter(Boolean);
  const runs = ['a', '1', 'ab', '-a', 'a-', ...literals, literals.join('')].filter((r) => r.length > 0);
  return runs.flatMap((run) => {
    const body = run.repeat(Math.ceil(length / run.length)).slice(0, length - 1);
    return [`${body}!`, `${body}\n`, body];
  });
}

/** The fastest of three runs, so a GC pause or a busy machine does not pass for backtracking. */
function timeMatch(re: RegExp, input: string): number {
  let best = Infinity;
  for (let i = 0; i < 3 && best > BUDGET_MS / 4; i++) {
    const t = performance.now();
    re.test(input);
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('compileSafeRegex (property): refused, or bounded on tag-length inputs', () => {
  it('every accepted generated pattern matches adversarial inputs quickly', () => {
    let accepted = 0;
    fc.assert(
      fc.property(pattern, (p) => {
        let re: RegExp;
        try {
          re = compileSafeRegex(p);
        } catch (err) {
          expect(['REGEX_UNSAFE', 'REGEX_INVALID']).toContain((err as { code?: string }).code);
          return;
        }
        accepted++;
        // A short length first: an exponential pattern shows there in milliseconds instead of hanging at 128.
        for (const length of [24, 128]) {
          for (const input of adversarial(p, length)) {
            const ms = timeMatch(re, input);
            if (ms > BUDGET_MS) throw new Error(`accepted ${JSON.stringify(p)} took ${ms.toFixed(0)} ms on ${JSON.stringify(input.slice(0, 20))}… (${input.length} characters)`);
          }
        }
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(300); // the property must not pass by refusing everything
  });

  it.each(['.*.*.*x', 'a*a*a*b', '\\d+\\d+\\d+x', '[a-z]*-?[a-z]*-?[a-z]*!', '(a|b)*(a|c)*(a|d)*!', '.*-.*-.*-x', '\\d{0,50}\\d{0,50}\\d{0,50}x'])('refuses %s (three competing repetitions)', (p) => {
    expect(() => compileSafeRegex(p)).toThrow(expect.objectContaining({ code: 'REGEX_UNSAFE', message: expect.stringContaining('in a row') }));
  });

  it.each(['^v?[0-9]+(\\.[0-9]+)*(-[a-z0-9]+)*$', '^\\d+\\.\\d+\\.\\d+-alpine$', '[^-]*-[^-]*-.*', '.*x.*', 'a*b*a*', '^(\\d+)\\.(\\d+)\\.(\\d+)$'])('accepts %s (repetitions separated or at most two)', (p) => {
    const re = compileSafeRegex(p);
    for (const input of adversarial(p, 128)) expect(timeMatch(re, input)).toBeLessThan(BUDGET_MS);
  });
});
