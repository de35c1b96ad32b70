/**
 * A person's decision on a digest held by the `approval: manual` gate, shared by `basegate
 * approve|reject` and `POST /api/approvals/{id}`: the `approval` record the validate stage hands
 * to the gate, and its audit entry. Validation acts on it the next time it runs for the digest.
 *
 * The rule every front end applies ({@link decideApproval}, issue #15):
 * - only a digest whose verdict is held by the approval gate takes a decision: one basegate has
 *   not validated, one already decided, or one held only by another gate (a cooldown, a running
 *   ACR task) is refused, so a decision can never pre-approve content nobody has looked at;
 * - the first decision wins: the record is written only if none exists (`ifAbsent`), so two people
 *   deciding at once, or one retrying, cannot overwrite each other; the loser is told who won.
 */
import { BasegateError } from '../errors';
import type { StateStore } from './ports';
import { digestKey, type Approval, type Verdict } from './records';
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

/** Records `approval` for (image, digest) unconditionally and audits it (the CLI's path until it applies {@link decideApproval}). */
export async function recordApproval(state: StateStore, request: ApprovalRequest): Promise<void> {
  await state.put('approval', digestKey(request.imageId, request.digest), request.approval);
  await auditApproval(state, request);
}

async function auditApproval(state: StateStore, { imageId, digest, subject, approval }: ApprovalRequest): Promise<void> {
  const { decision, reason, by, byId, via } = approval;
  await state.appendAudit({ at: approval.at, stage: 'approval', subject, digest, outcome: decision, detail: { imageId, reason, by, byId, via } });
}

/** True when the verdict is held and one thing it waits for is a person (the approval gate is pending). */
export function awaitsApproval(verdict: Verdict): boolean {
  return verdict.outcome === 'pending' && verdict.gates.some((g) => g.gate === 'approval' && g.outcome === 'pending');
}
