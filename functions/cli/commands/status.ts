/** `basegate status --config FILE [--json]`: what the state holds, and why an image is held. */
import type { RebuildRecord, TagState, Verdict } from '../../pipeline/records';
import { digestKey } from '../../pipeline/records';
import { heldBecause } from '../../pipeline/validate';
import { vulnerabilitySummaryOf, type VulnerabilitySummary } from '../../pipeline/vulnerability-summary';
import { diffLine, vulnerabilityLines } from '../format-diff';
import { parseCommand, requireConfig } from '../args';
import { composeCli } from '../compose';
import { EXIT } from '../exit-codes';
import { cacheNoticeLines, cacheSummary } from '../cache-notices';
import { shortDigest, type Output } from '../output';

export interface TagStatusView {
  source: string;
  target: string;
  status: TagState['status'];
  seenDigest?: string;
  checkedAt?: string;
  promoted?: TagState['promoted'];
  reason?: string;
  /** The tag moved back upstream and waits for a person (basegate approve releases it). */
  hold?: TagState['hold'];
  verdict?: Pick<Verdict, 'outcome' | 'at' | 'gates' | 'diff'>;
  /** The seen digest's scan summary, when the vulnerabilities gate judged it. */
  vulnerabilities?: VulnerabilitySummary;
  rebuilds: Array<Pick<RebuildRecord, 'dependent' | 'status' | 'runId' | 'lastError' | 'at' | 'targetDigest'>>;
}

export async function runStatus(argv: string[], out: Output): Promise<number> {
  const { values } = parseCommand('status', argv, {});
  const runtime = await composeCli({ configFile: requireConfig('status', values), stateFile: values.state, readOnly: true });
  try {
    const [tags, verdicts, rebuilds] = await Promise.all([runtime.state.list<TagState>('tag'), runtime.state.list<Verdict>('verdict'), runtime.state.list<RebuildRecord>('rebuild')]);
    const verdictOf = new Map(verdicts.map((v) => [v.key, v.value]));
    const views: TagStatusView[] = tags.map(({ value: t }) => {
      const verdict = t.seenDigest ? verdictOf.get(digestKey(t.imageId, t.seenDigest)) : undefined;
      const last = new Map<string, RebuildRecord>();
      for (const { value: r } of rebuilds) if (r.imageId === t.imageId && r.tag === t.tag && (!last.has(r.dependent) || last.get(r.dependent)!.at < r.at)) last.set(r.dependent, r);
      return {
        source: t.source,
        target: t.target,
        status: t.status,
        seenDigest: t.seenDigest,
        checkedAt: t.checkedAt,
        promoted: t.promoted,
        ...(t.hold ? { hold: t.hold } : {}),
        reason: t.reason ?? (verdict && verdict.outcome !== 'approved' ? heldBecause(verdict) : undefined),
        verdict: verdict && { outcome: verdict.outcome, at: verdict.at, gates: verdict.gates, ...(verdict.diff ? { diff: verdict.diff } : {}) },
        vulnerabilities: vulnerabilitySummaryOf(verdict),
        rebuilds: [...last.values()].map(({ dependent, status, runId, lastError, at, targetDigest }) => ({ dependent, status, runId, lastError, at, targetDigest })),
      };
    });
    const upstreamCache = cacheSummary(runtime.config);
    if (values.json) out.json({ tags: views, ...(upstreamCache ? { upstreamCache } : {}) });
    else if (views.length === 0) out.result('nothing recorded yet: run basegate sync');
    else {
      for (const line of cacheNoticeLines(runtime.config)) out.result(line);
      for (const v of views) {
        out.result(`${v.source}  ${v.status}  seen ${shortDigest(v.seenDigest)}  promoted ${shortDigest(v.promoted?.sourceDigest)}${v.promoted ? ` as ${v.promoted.immutableTag}` : ''}`);
        if (v.reason) out.result(`    held: ${v.reason}`);
        if (v.vulnerabilities) for (const line of vulnerabilityLines(v.vulnerabilities)) out.result(`    ${line.trimStart()}`);
        if (v.verdict?.diff && v.status !== 'promoted') out.result(`    changes: ${diffLine(v.verdict.diff)} (basegate diff ${v.source} for more)`);
        for (const r of v.rebuilds) out.result(`    rebuild ${r.dependent}: ${r.status}${r.runId ? ` run ${r.runId}` : ''}${r.lastError ? ` (${r.lastError})` : ''}`);
      }
    }
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
}
