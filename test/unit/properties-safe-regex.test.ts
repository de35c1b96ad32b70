/**
 * compileSafeRegex as a property over generated patterns (quantified atoms, nested groups,
 * alternation, anchors — the shapes that make a backtracking engine blow up):
 * - it matches what JavaScript's RegExp matches, on short inputs where backtracking is harmless;
 * - it stays fast on adversarial inputs (a long run of what the pattern repeats, then a
 *   character that fails it), where JavaScript's engine can take minutes. A static check on
 *   JavaScript patterns used to stand here; this property kept finding patterns it let through,
 *   such as `((ab)?[0-9a-f])*\d?[a-z]$` (exponential) and `.*.*.*.*.*x` (49 s on one tag).
 */
import * as fc from 'fast-check';
import { compileSafeRegex, type SafeRegex } from '../../functions/config/safe-regex';

/**
 * A bound that only tells linear from catastrophic: in linear time a match on 4,096 characters
 * takes milliseconds, while the patterns above took seconds on 64 with RegExp (minutes on 4,096).
 * It is generous, and the fastest of three runs counts, so a busy machine or a GC pause cannot fail it.
 */
const BUDGET_MS = 2000;

/** The fastest of three runs of `re` on `input`, in milliseconds. */
function fastestMs(re: SafeRegex, input: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    re.test(input);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
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

/** Short inputs over the characters the grammar's atoms test. */
const shortInput = fc.string({ unit: fc.constantFrom('a', 'b', '-', '1', 'f', 'z', '_', '.', '!'), maxLength: 10 });

/** Inputs that make a backtracking matcher try every split: long runs of what the pattern repeats, then a character that fails it. */
function adversarial(p: string, length: number): string[] {
  const literals = [...new Set(p.replace(/\\[a-z]|\[[^\]]*\]|[(){}|*+?^$,\d]/g, '').split(''))].filter(Boolean);
  const runs = ['a', '1', 'ab', '-a', 'a-', ...literals, literals.join('')].filter((r) => r.length > 0);
  return runs.flatMap((run) => {
    const body = run.repeat(Math.ceil(length / run.length)).slice(0, length - 1);
    return [`${body}!`, `${body}\n`, body];
  });
}

/** The pattern compiled, or undefined when RE2 refuses it for its size: over 256 characters, or nested counts over 1000 (`(a{0,40}){0,40}`). */
function compiled(p: string): SafeRegex | undefined {
  try {
    return compileSafeRegex(p);
  } catch (err) {
    expect(err).toMatchObject({ code: 'REGEX_INVALID', message: expect.stringMatching(/at most 256 characters|invalid repeat count.*nested counts multiply/) });
    return undefined;
  }
}

describe('compileSafeRegex (property)', () => {
  it('matches what JavaScript matches, on short inputs', () => {
    fc.assert(
      fc.property(pattern, fc.array(shortInput, { minLength: 1, maxLength: 8 }), (p, inputs) => {
        const safe = compiled(p);
        if (!safe) return;
        const js = new RegExp(p);
        for (const input of inputs) expect([input, safe.test(input)]).toEqual([input, js.test(input)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('stays fast on adversarial inputs of label length', () => {
    let slowest = { ms: 0, pattern: '', length: 0 };
    fc.assert(
      fc.property(pattern, (p) => {
        const re = compiled(p);
        if (!re) return;
        for (const input of adversarial(p, 4096)) {
          const ms = fastestMs(re, input);
          if (ms > slowest.ms) slowest = { ms, pattern: p, length: input.length };
        }
      }),
      { numRuns: 300 },
    );
    expect(slowest.ms).toBeLessThan(BUDGET_MS);
  });

  it('takes patterns that backtrack catastrophically in JavaScript and runs them in linear time', () => {
    // Each of these took seconds to minutes on 64–128 characters with RegExp.
    for (const p of ['((ab)?[0-9a-f])*\\d?[a-z]$', '^(.?.?[a-z]b?)+[0-9a-f]{2}a?(ab){0,40}$', '.*.*.*.*.*x', '(a+)+$']) {
      const re = compileSafeRegex(p);
      const input = `${'ab'.repeat(2048)}!`;
      expect(re.test(input)).toBe(false);
      expect(fastestMs(re, input)).toBeLessThan(BUDGET_MS);
    }
  });
});
