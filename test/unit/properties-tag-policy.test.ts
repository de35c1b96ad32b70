/**
 * Properties of tag-policy evaluation (functions/config/tag-policy.ts) over generated upstream
 * tag lists and policies, checked against a direct reading of each rule:
 * - the selection is a duplicate-free subset of the tags, each passing allow, deny and semver;
 * - without `latest`, exactly the passing tags, in upstream order;
 * - with `latest: N`, the N highest passing versions, highest first, whatever the input order;
 * - selecting again from the selection changes nothing; no tag list makes it throw.
 */
import * as fc from 'fast-check';
import * as semver from 'semver';
import { compileSafeRegex } from '../../functions/config/safe-regex';
import { isImmutableTag, resolveTags, tagVersion, type TagPolicy } from '../../functions/config/tag-policy';

const versionTag = fc
  .record({
    v: fc.boolean(),
    parts: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 3 }),
    suffix: fc.constantFrom('', '-alpine', '-slim', '-rc1', '-bookworm', '-alpine3.19', '.windows'),
  })
  .map(({ v, parts, suffix }) => `${v ? 'v' : ''}${parts.join('.')}${suffix}`);
const anyTag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
const tags = fc.array(fc.oneof({ weight: 4, arbitrary: versionTag }, { weight: 1, arbitrary: anyTag }, { weight: 1, arbitrary: fc.constantFrom('latest', 'alpine', 'lts', 'stable') }), { maxLength: 60 });

const PATTERNS = ['^\\d+$', 'alpine', '^\\d+-alpine$', 'slim$', '^v?\\d+\\.\\d+', 'rc', '^[^-]+$', 'bookworm', '^\\d+\\.\\d+\\.\\d+$', 'windows'];
const RANGES = ['>=20', '<3', '^1.2', '>=1 <5', '~2.1', '*', '>=10 <23', '1.x || >=25'];
const policy: fc.Arbitrary<TagPolicy> = fc.record({
  allow: fc.uniqueArray(fc.constantFrom(...PATTERNS), { maxLength: 3 }).map((p) => p.map(compileSafeRegex)),
  deny: fc.uniqueArray(fc.constantFrom(...PATTERNS), { maxLength: 2 }).map((p) => p.map(compileSafeRegex)),
  semver: fc.option(fc.constantFrom(...RANGES), { nil: undefined }),
  latest: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
});

/** Each rule read on its own, as the config documentation states it. */
function passes(p: TagPolicy, tag: string): boolean {
  if (p.allow.length > 0 && !p.allow.some((re) => re.test(tag))) return false;
  if (p.deny.some((re) => re.test(tag))) return false;
  if (p.semver === undefined) return true;
  const v = tagVersion(tag);
  return v !== undefined && semver.satisfies(v, p.semver);
}

describe('tag policy (properties)', () => {
  it('selects a duplicate-free subset whose every tag passes every rule', () => {
    fc.assert(
      fc.property(policy, tags, (p, all) => {
        const selected = resolveTags(p, all);
        expect(new Set(selected).size).toBe(selected.length);
        for (const tag of selected) {
          expect(all).toContain(tag);
          expect(passes(p, tag)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('without latest: exactly the passing tags, in upstream order', () => {
    fc.assert(
      fc.property(policy, tags, (p, all) => {
        const plain = { ...p, latest: undefined };
        expect(resolveTags(plain, all)).toEqual([...new Set(all.filter((t) => passes(plain, t)))]);
      }),
      { numRuns: 1000 },
    );
  });

  it('with latest N: the N highest passing versions, highest first, whatever the order of the list', () => {
    fc.assert(
      fc.property(policy, tags, fc.integer({ min: 1, max: 8 }), (p, all, n) => {
        const ranked = { ...p, latest: n };
        const selected = resolveTags(ranked, all);
        const candidates = [...new Set(all.filter((t) => passes(ranked, t) && tagVersion(t) !== undefined))];
        expect(selected.length).toBe(Math.min(n, candidates.length));
        const versions = selected.map((t) => tagVersion(t)!);
        for (let i = 1; i < versions.length; i++) expect(semver.gte(versions[i - 1], versions[i])).toBe(true);
        // Nothing left out ranks above the lowest one kept.
        const lowest = versions[versions.length - 1];
        for (const t of candidates) if (!selected.includes(t) && lowest) expect(semver.lte(tagVersion(t)!, lowest)).toBe(true);
        expect(resolveTags(ranked, [...all].reverse())).toEqual(selected);
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent: selecting from the selection keeps it', () => {
    fc.assert(
      fc.property(policy, tags, (p, all) => {
        const once = resolveTags(p, all);
        expect(resolveTags(p, once)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on any tag list, and tagVersion only reads tags that start with a version', () => {
    fc.assert(
      fc.property(policy, fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 30 }), (p, all) => {
        resolveTags(p, all);
        for (const t of all) if (tagVersion(t) !== undefined) expect(t).toMatch(/^v?\d/);
      }),
      { numRuns: 500 },
    );
  });

  it('isImmutableTag is true exactly when one pattern matches', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...PATTERNS), { maxLength: 3 }), tags, (patterns, all) => {
        const matchers = patterns.map(compileSafeRegex);
        for (const t of all) expect(isImmutableTag(matchers, t)).toBe(patterns.some((p) => new RegExp(p).test(t)));
      }),
      { numRuns: 300 },
    );
  });
});
