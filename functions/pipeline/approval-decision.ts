/**
 * A person's decision on a digest held by the `approval: manual` gate, shared by `basegate
 * approve|reject` and `POST /api/approvals/{id}`: the `approval` record the validate stage hands
 * to the gate, and its audit entry. Validation acts on it the next time it runs for the digest.
 */
import type { StateStore } from './ports';
import { digestKey, type Approval, type Verdict } from './records';

/** Records `approval` for (image, digest) and audits it under `subject` (the reference a person named). */
export async function recordApproval(state: StateStore, decision: { imageId: string; digest: string; subject: string; approval: Approval }): Promise<void> {
  const { imageId, digest, subject, approval } = decision;
  await state.put('approval', digestKey(imageId, digest), approval);
  await state.appendAudit({ at: approval.at, stage: 'approval', subject, digest, outcome: approval.decision, detail: { imageId, reason: approval.reason, by: approval.by } });
}

/** True when the verdict is held and one thing it waits for is a person (the approval gate is pending). */
export function awaitsApproval(verdict: Verdict): boolean {
  return verdict.outcome === 'pending' && verdict.gates.some((g) => g.gate === 'approval' && g.outcome === 'pending');
}
