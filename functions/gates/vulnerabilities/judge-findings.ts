/**
 * The vulnerability policy over a candidate's findings and the baseline's (the digest promoted
 * under the tag, scanned in the same run by the same scanner, so both use one database):
 * - `ignore` entries leave findings out while in force (`until` is a date: the entry holds
 *   through that day, UTC; a time, up to that instant), judged against the validate stage's
 *   clock (`BASEGATE_NOW` on the CLI); an expired entry ignores nothing and is named;
 * - `maxSeverity`: any finding above it fails;
 * - `noNew`: a finding of those severities that the baseline lacks fails. A finding is
 *   (id, package); with nothing promoted, every finding is new.
 * The summary kept is bounded (vulnerability-summary.ts): counts, added and fixed ids, capped.
 */
import { emptyCounts, severityRank, SUMMARY_CAP, type FindingRef, type Severity, type SeverityCounts, type VulnerabilitySummary } from '../../pipeline/vulnerability-summary';
import type { Finding } from './parse-report';

/** One `ignore:` entry. */
export interface IgnoreEntry {
  id: string;
  /** Only in this package (default: any). */
  package?: string;
  /** ISO date (through that day, UTC) or time. */
  until?: string;
  reason?: string;
}

/** The policy part of the gate's options. */
export interface VulnerabilityPolicy {
  maxSeverity?: Severity;
  noNew?: readonly Severity[];
  ignore?: readonly IgnoreEntry[];
}

/** The judgement: reasons (empty on pass) and the summary. */
export interface Judgement {
  reasons: string[];
  summary: Omit<VulnerabilitySummary, 'format' | 'from'>;
  /** Ignore entries past their expiry that matched a finding. */
  expired: IgnoreEntry[];
}

/** Ids listed in one reason. */
const REASON_IDS = 10;

/** When an ignore entry stops holding (epoch ms), or Infinity. */
export function ignoreExpiry(entry: IgnoreEntry): number {
  if (!entry.until) return Infinity;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(entry.until);
  return Date.parse(dateOnly ? `${entry.until}T00:00:00Z` : entry.until) + (dateOnly ? 86_400_000 : 0);
}

const keyOf = (f: Finding): string => `${f.id}\u0000${f.package}`;

/** Deduplicates by (id, package), keeping the worst severity a report gave it. */
function unique(findings: readonly Finding[]): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of findings) {
    const known = out.get(keyOf(f));
    if (!known || severityRank(f.severity) > severityRank(known.severity)) out.set(keyOf(f), f);
  }
  return out;
}

/** Applies the policy at `now` to the candidate's findings and the baseline's (undefined: nothing promoted). */
export function judgeFindings(policy: VulnerabilityPolicy, candidate: readonly Finding[], baseline: { digest: string; findings: readonly Finding[] } | undefined, now: Date): Judgement {
  const expired: IgnoreEntry[] = [];
  let ignored = 0;
  const active = (policy.ignore ?? []).filter((e) => ignoreExpiry(e) > now.getTime());
  const lapsed = (policy.ignore ?? []).filter((e) => ignoreExpiry(e) <= now.getTime());
  const matches = (e: IgnoreEntry, f: Finding) => e.id === f.id && (e.package === undefined || e.package === f.package);
  const keep = (f: Finding, count: boolean): boolean => {
    if (active.some((e) => matches(e, f))) {
      if (count) ignored++;
      return false;
    }
    if (count) for (const e of lapsed) if (matches(e, f) && !expired.includes(e)) expired.push(e);
    return true;
  };
  const now_ = [...unique(candidate).values()].filter((f) => keep(f, true));
  const before = baseline ? [...unique(baseline.findings).values()].filter((f) => keep(f, false)) : [];
  const beforeKeys = new Set(before.map(keyOf));
  const nowKeys = new Set(now_.map(keyOf));
  const added = sortWorst(now_.filter((f) => !beforeKeys.has(keyOf(f))));
  const fixed = sortWorst(before.filter((f) => !nowKeys.has(keyOf(f))));

  const reasons: string[] = [];
  const lapsedNote = (f: Finding) => {
    const e = expired.find((x) => matches(x, f));
    return e ? `, its ignore expired ${e.until}` : '';
  };
  const list = (fs: Finding[]) => `${fs.slice(0, REASON_IDS).map((f) => `${f.id} (${f.severity}, ${f.package || 'no package'}${lapsedNote(f)})`).join(', ')}${fs.length > REASON_IDS ? ` and ${fs.length - REASON_IDS} more` : ''}`;
  if (policy.maxSeverity) {
    const limit = severityRank(policy.maxSeverity);
    const above = sortWorst(now_.filter((f) => severityRank(f.severity) > limit));
    if (above.length) reasons.push(`${above.length} finding${above.length > 1 ? 's' : ''} above ${policy.maxSeverity}: ${list(above)}`);
  }
  if (policy.noNew?.length) {
    const fresh = added.filter((f) => policy.noNew!.includes(f.severity));
    const against = baseline ? `the promoted ${baseline.digest}` : 'no baseline (nothing promoted yet: every finding is new)';
    if (fresh.length) reasons.push(`${fresh.length} new ${policy.noNew.join('/')} finding${fresh.length > 1 ? 's' : ''} compared with ${against}: ${list(fresh)}`);
  }
  return {
    reasons,
    expired,
    summary: {
      counts: count(now_),
      baseline: baseline ? { digest: baseline.digest, counts: count(before) } : null,
      added: added.slice(0, SUMMARY_CAP).map(ref),
      addedTotal: added.length,
      addedCounts: count(added),
      fixed: fixed.slice(0, SUMMARY_CAP).map(ref),
      fixedTotal: fixed.length,
      ignored,
    },
  };
}

function sortWorst(fs: Finding[]): Finding[] {
  return [...fs].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id) || a.package.localeCompare(b.package));
}

function count(fs: readonly Finding[]): SeverityCounts {
  const out = emptyCounts();
  for (const f of fs) out[f.severity]++;
  return out;
}

function ref(f: Finding): FindingRef {
  return { id: f.id.slice(0, 100), package: f.package.slice(0, 100), severity: f.severity };
}
