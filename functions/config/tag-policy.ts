/**
 * Tag policies: which upstream tags to track when the config gives a rule instead of a list.
 *
 * Tags are version-like but rarely semver (`20.11.1-alpine`, `22-bookworm-slim`, `3.12`), so a
 * tag's version is the leading version number, coerced: `20.11.1-alpine` → 20.11.1, `22-alpine`
 * → 22.0.0, `v1.2` → 1.2.0. Only tags that start with a digit (or `v` and a digit) have one:
 * `alpine3.19` is a variant name, not version 3.19. The suffix is ignored for ordering and
 * ranges (use `allow`/`deny` to pick a variant, and `deny: ["rc"]` for pre-releases).
 */
import * as semver from 'semver';
import type { SafeRegex } from './safe-regex';

/** A resolved tag policy (regexes compiled, range validated). */
export interface TagPolicy {
  /** A tag must match at least one (when any is given). Unanchored: write ^...$ for whole tags. */
  allow: SafeRegex[];
  /** A tag matching any is dropped. */
  deny: SafeRegex[];
  /** A semver range the tag's coerced version must satisfy (`>=20 <23`). */
  semver?: string;
  /** Keep only the N highest versions (after the filters above). */
  latest?: number;
}

const VERSION_LIKE = /^v?\d/;

/** The coerced version of a tag, or undefined when the tag does not start with a version number. */
export function tagVersion(tag: string): semver.SemVer | undefined {
  if (!VERSION_LIKE.test(tag)) return undefined;
  return semver.coerce(tag) ?? undefined;
}

/** The tags of `allTags` the policy selects, in the order given; with `latest`, the N highest versions, highest first. */
export function resolveTags(policy: TagPolicy, allTags: readonly string[]): string[] {
  const selected = allTags.filter((tag) => {
    if (policy.allow.length > 0 && !policy.allow.some((re) => re.test(tag))) return false;
    if (policy.deny.some((re) => re.test(tag))) return false;
    if (policy.semver !== undefined) {
      const version = tagVersion(tag);
      if (!version || !semver.satisfies(version, policy.semver)) return false;
    }
    return true;
  });
  if (policy.latest === undefined) return [...new Set(selected)];
  const versioned = [...new Set(selected)]
    .map((tag) => ({ tag, version: tagVersion(tag) }))
    .filter((t): t is { tag: string; version: semver.SemVer } => t.version !== undefined);
  // Highest version first; equal versions (`20.11.1-alpine`, `20.11.1-slim`) by tag, for a stable result.
  versioned.sort((a, b) => semver.rcompare(a.version, b.version) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return versioned.slice(0, policy.latest).map((t) => t.tag);
}

/** True when the tag matches one of the `immutableTags` patterns: such a tag is checked once, then never again. */
export function isImmutableTag(matchers: readonly SafeRegex[], tag: string): boolean {
  return matchers.some((re) => re.test(tag));
}

/** True when `range` is a semver range the policy can use. */
export function isValidRange(range: string): boolean {
  return semver.validRange(range) !== null;
}
