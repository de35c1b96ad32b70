/**
 * `GET /api/status`: what the state holds, as JSON: tracked images, tag records, digests waiting
 * for a person (with the id to decide them by, and any decision not yet acted on), the newest
 * poison records and audit entries.
 * Nothing here carries a secret: state and audit are credential-free by construction, references
 * refuse embedded credentials, and neither the config nor the settings are included.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { awaitsApproval, holdDecisionKey } from '../../pipeline/approval-decision';
import type { PoisonRecord } from '../../pipeline/poison-record';
import { digestKey, type Approval, type TagState, type Verdict } from '../../pipeline/records';
import { vulnerabilitySummaryOf } from '../../pipeline/vulnerability-summary';
import { jsonResponse, respond } from './http-response';
import type { HttpRuntime } from './register-http-routes';

/** Newest poison records and audit entries shown. */
const RECENT = { poison: 20, audit: 50 };

/** Answers 200 with the state view. */
export async function status(_request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const [tags, verdicts, approvals, poison, audit] = await Promise.all([
      runtime.state.list<TagState>('tag'),
      runtime.state.list<Verdict>('verdict'),
      runtime.state.list<Approval>('approval'),
      runtime.state.list<PoisonRecord>('poison'),
      runtime.state.listAudit({ limit: RECENT.audit }),
    ]);
    const decided = new Map(approvals.map((a) => [a.key, a.value]));
    const verdictOf = new Map(verdicts.map((v) => [v.key, v.value]));
    // `decision`: a person decided and the re-validation that acts on it has not run yet.
    const gateHeld = verdicts
      .filter((v) => awaitsApproval(v.value))
      .map(({ key, value }) => ({
        id: key,
        imageId: value.imageId,
        digest: value.digest,
        since: value.at,
        waitingFor: value.gates.filter((g) => g.outcome === 'pending').flatMap((g) => g.reasons),
        decision: decided.get(key) ?? null,
        ...withSummary(vulnerabilitySummaryOf(value)),
        ...(value.diff ? { diff: value.diff } : {}),
      }));
    // Tags that moved back upstream (retag-guard.ts), decided by the same id.
    const retagHeld = tags
      .filter((t) => t.value.hold)
      .map(({ value: t }) => {
        const hold = t.hold!;
        const verdict = verdictOf.get(digestKey(t.imageId, hold.digest));
        return {
          id: digestKey(t.imageId, hold.digest),
          imageId: t.imageId,
          digest: hold.digest,
          since: hold.since,
          waitingFor: [hold.reason],
          hold: { tag: t.tag },
          decision: decided.get(holdDecisionKey(t.imageId, t.tag, hold.digest, hold.since)) ?? null,
          ...withSummary(vulnerabilitySummaryOf(verdict)),
          ...(verdict?.diff ? { diff: verdict.diff } : {}),
        };
      });
    const pendingApprovals = [...gateHeld, ...retagHeld];
    // Records carry the message's hash, never its text.
    const recentPoison = [...poison].sort((a, b) => String(b.value.at).localeCompare(String(a.value.at))).slice(0, RECENT.poison).map(({ key, value }) => ({ key, ...value }));
    return jsonResponse(200, {
      time: runtime.clock.now().toISOString(),
      images: runtime.images.map((i) => ({ id: i.id, source: i.source.toString(), target: i.target.toString(), tags: i.tags ?? null })),
      tags: tags.map(({ value: t }) => ({ ...t, ...withSummary(t.seenDigest ? vulnerabilitySummaryOf(verdictOf.get(digestKey(t.imageId, t.seenDigest))) : undefined) })),
      pendingApprovals,
      poison: recentPoison,
      audit,
    });
  });
}

/** `vulnerabilities`: the scan summary of the digest, present only when the vulnerabilities gate judged it. */
function withSummary(summary: ReturnType<typeof vulnerabilitySummaryOf>): { vulnerabilities?: NonNullable<typeof summary> } {
  return summary ? { vulnerabilities: summary } : {};
}
