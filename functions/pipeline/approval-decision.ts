/**
 * A person's decision on a digest held by the `approval: manual` gate, shared by `basegate
 * approve|reject` and `POST /api/approvals/{id}`: the `approval` record the validate stage hands
 * to the gate, and its audit entry. Validation acts on it the next time it runs for the digest.
 *
 * The rule every front end applies ({@link decideApproval}, issue #15):
 * - only a digest held for a person takes a decision: its verdict waits on the approval gate, or
 *   a tag that moved back upstream to it is held (retag-guard.ts, issue #17; {@link retagHolds}).
 *   One basegate has not validated, one already decided, or one held only by another gate (a
 *   cooldown, a running ACR task) is refused, so a decision can never pre-approve content nobody
 *   has looked at. A retag hold's decision is recorded per hold ({@link holdDecisionKey}): the
 *   approval gate's earlier decision on the same digest neither releases nor blocks it;
 * - the first decision wins: the record is written only if none exists (`ifAbsent`), so two people
 *   deciding at once, or one retrying, cannot overwrite each other; the loser is told who won.
 */
import { BasegateError } from '../errors';
import type { StateStore } from './ports';
import { digestKey, type Approval, type TagState, type Verdict } from './records';
import { heldBecause } from './validate';

/** Why a decision was refused, for the front end to map (HTTP status, CLI exit code). */
export type ApprovalRefusal =
  | { refused: 'no-verdict'; message: string }
  | { refused: 'not-held'; message: string; verdict: Verdict }
  | { refused: 'already-decided'; message: string; existing: Approval };

/** What {@link decideApproval} did. */
export type ApprovalOutcome = { recorded: Approval } | ApprovalRefusal;

/** One decision to record. */
export interface ApprovalRequest {
  imageId: string;
  digest: string;
  /** The reference a person named (`docker.io/library/node:20-alpine@sha256:...`), for the audit. */
  subject: string;
  approval: Approval;
}

/** Applies the rule of the module header; records and audits the decision only when it holds. */
export async function decideApproval(state: StateStore, request: ApprovalRequest): Promise<ApprovalOutcome> {
  const { imageId, digest } = request;
  const id = `${imageId}@${digest}`;
  const verdict = await state.get<Verdict>('verdict', digestKey(imageId, digest));
  if (!verdict) return { refused: 'no-verdict', message: `${id} has no verdict: basegate has not validated this digest, so nothing is held` };
  const holds = awaitsApproval(verdict.value) ? [] : await retagHolds(state, imageId, digest);
  if (holds.length) return decideHolds(state, request, holds);
  if (!awaitsApproval(verdict.value)) {
    const held = verdict.value.outcome === 'pending' ? `held, but not waiting for a person (${heldBecause(verdict.value)})` : `already ${verdict.value.outcome} at ${verdict.value.at}`;
    return { refused: 'not-held', verdict: verdict.value, message: `${id} is ${held}; only a digest held by the approval gate takes a decision` };
  }
  try {
    await state.put('approval', digestKey(imageId, digest), request.approval, { ifAbsent: true });
  } catch (err) {
    if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT')) throw err;
    const existing = (await state.get<Approval>('approval', digestKey(imageId, digest)))?.value;
    if (!existing) throw err;
    return { refused: 'already-decided', existing, message: `${id} was already ${existing.decision}${existing.by ? ` by ${existing.by}` : ''} at ${existing.at}; the first decision stands` };
  }
  await auditApproval(state, request);
  return { recorded: request.approval };
}

/** Records `approval` for (image, digest), and for every retag hold on it, unconditionally, and audits it (the CLI's path until it applies {@link decideApproval}). */
export async function recordApproval(state: StateStore, request: ApprovalRequest): Promise<void> {
  await state.put('approval', digestKey(request.imageId, request.digest), request.approval);
  for (const h of await retagHolds(state, request.imageId, request.digest)) await state.put('approval', holdDecisionKey(request.imageId, h.tag, request.digest, h.hold.since), request.approval);
  await auditApproval(state, request);
}

/** A tag held because it moved back upstream to a digest. */
export interface RetagHold {
  tag: string;
  hold: NonNullable<TagState['hold']>;
}

/** The tags of an image held on `digest` by retag protection. */
export async function retagHolds(state: StateStore, imageId: string, digest: string): Promise<RetagHold[]> {
  const tags = await state.list<TagState>('tag');
  return tags.filter((t) => t.value.imageId === imageId && t.value.hold?.digest === digest).map((t) => ({ tag: t.value.tag, hold: t.value.hold! }));
}

/** Where the decision on one retag hold is kept: per tag and per hold, so each move back is decided on its own. */
export function holdDecisionKey(imageId: string, tag: string, digest: string, since: string): string {
  return `${digestKey(imageId, digest)}|hold|${tag}|${since}`;
}

/** First decision wins per hold, as for the gate. */
async function decideHolds(state: StateStore, request: ApprovalRequest, holds: RetagHold[]): Promise<ApprovalOutcome> {
  for (const h of holds) {
    const key = holdDecisionKey(request.imageId, h.tag, request.digest, h.hold.since);
    try {
      await state.put('approval', key, request.approval, { ifAbsent: true });
    } catch (err) {
      if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT')) throw err;
      const existing = (await state.get<Approval>('approval', key))?.value;
      if (!existing) throw err;
      return { refused: 'already-decided', existing, message: `the hold of ${request.imageId}:${h.tag} on ${request.digest} was already ${existing.decision}${existing.by ? ` by ${existing.by}` : ''} at ${existing.at}; the first decision stands` };
    }
  }
  await auditApproval(state, request);
  return { recorded: request.approval };
}

async function auditApproval(state: StateStore, { imageId, digest, subject, approval }: ApprovalRequest): Promise<void> {
  const { decision, reason, by, byId, via } = approval;
  await state.appendAudit({ at: approval.at, stage: 'approval', subject, digest, outcome: decision, detail: { imageId, reason, by, byId, via } });
}

/** True when the verdict is held and one thing it waits for is a person (the approval gate is pending). */
export function awaitsApproval(verdict: Verdict): boolean {
  return verdict.outcome === 'pending' && verdict.gates.some((g) => g.gate === 'approval' && g.outcome === 'pending');
}
