/** Tag policies over realistic upstream tag lists. */
import { compileSafeRegex } from '../../../functions/config/safe-regex';
import { isImmutableTag, resolveTags, tagVersion, type TagPolicy } from '../../../functions/config/tag-policy';

const NODE_TAGS = [
  '18-alpine', '18.20.4-alpine', '20-alpine', '20.11.1-alpine', '20.11.1-slim', '20.18.0-alpine',
  '22-alpine', '22.9.0-alpine', '23-alpine', '23.0.0-rc.1-alpine', 'alpine', 'alpine3.19', 'latest', 'lts-alpine', 'v21.1.0',
];

function policy(p: { allow?: string[]; deny?: string[]; semver?: string; latest?: number }): TagPolicy {
  return { allow: (p.allow ?? []).map(compileSafeRegex), deny: (p.deny ?? []).map(compileSafeRegex), semver: p.semver, latest: p.latest };
}

describe('tagVersion', () => {
  it.each([
    ['20.11.1-alpine', '20.11.1'],
    ['22-alpine', '22.0.0'],
    ['v1.2', '1.2.0'],
    ['3.12', '3.12.0'],
    ['alpine3.19', undefined],
    ['latest', undefined],
  ])('%s → %s', (tag, version) => {
    expect(tagVersion(tag)?.version).toBe(version);
  });
});

describe('resolveTags', () => {
  it.each<[string, Parameters<typeof policy>[0], string[]]>([
    ['allow only', { allow: ['^\\d+-alpine$'] }, ['18-alpine', '20-alpine', '22-alpine', '23-alpine']],
    ['allow and deny', { allow: ['-alpine$'], deny: ['rc', '^lts'] }, ['18-alpine', '18.20.4-alpine', '20-alpine', '20.11.1-alpine', '20.18.0-alpine', '22-alpine', '22.9.0-alpine', '23-alpine']],
    ['semver range on coerced versions', { allow: ['^\\d+-alpine$'], semver: '>=20 <23' }, ['20-alpine', '22-alpine']],
    ['semver drops unversioned tags', { semver: '>=21' }, ['22-alpine', '22.9.0-alpine', '23-alpine', '23.0.0-rc.1-alpine', 'v21.1.0']],
    ['latest N by version, highest first', { allow: ['^\\d+\\.\\d+\\.\\d+-alpine$'], deny: ['rc'], latest: 3 }, ['22.9.0-alpine', '20.18.0-alpine', '20.11.1-alpine']],
    ['latest ties broken by tag', { allow: ['^20\\.11\\.1-'], latest: 2 }, ['20.11.1-alpine', '20.11.1-slim']],
    ['latest with semver', { semver: '<21', latest: 2, deny: ['slim'] }, ['20.18.0-alpine', '20.11.1-alpine']],
    ['nothing matches', { allow: ['^nope$'] }, []],
  ])('%s', (_what, p, expected) => {
    expect(resolveTags(policy(p), NODE_TAGS)).toEqual(expected);
  });

  it('selects from a long tag list without duplicates', () => {
    const tags = Array.from({ length: 250 }, (_, i) => `${Math.floor(i / 10)}.${i % 10}.0`);
    const got = resolveTags(policy({ semver: '>=20', latest: 5 }), [...tags, ...tags]);
    expect(got).toEqual(['24.9.0', '24.8.0', '24.7.0', '24.6.0', '24.5.0']);
  });
});

describe('isImmutableTag', () => {
  it('matches any of the patterns', () => {
    const matchers = ['^\\d+\\.\\d+\\.\\d+-alpine$'].map(compileSafeRegex);
    expect(isImmutableTag(matchers, '20.11.1-alpine')).toBe(true);
    expect(isImmutableTag(matchers, '20-alpine')).toBe(false);
    expect(isImmutableTag([], '20.11.1-alpine')).toBe(false);
  });
});
