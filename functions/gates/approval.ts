/**
 * Gate `approval: manual`: the digest waits until a person approves or rejects it
 * (`basegate approve|reject`, later the HTTP API), recorded as an `approval` record that the
 * validate stage hands to the gate in its context.
 */
import type { Gate } from '../pipeline/gate-port';

/** Options of {@link approvalGate}; `manual` is the only mode so far. */
export interface ApprovalGateOptions {
  approval: 'manual';
}

/** Pending until approved (pass) or rejected (fail, with the reason and who). */
export function approvalGate(_options: ApprovalGateOptions = { approval: 'manual' }): Gate {
  return {
    name: 'approval',
    async evaluate({ approval, source }) {
      if (!approval) {
        return { gate: 'approval', outcome: 'pending', reasons: [`waiting for a person: basegate approve (or reject) ${source}`] };
      }
      const detail = { decision: approval.decision, by: approval.by, at: approval.at, reason: approval.reason };
      if (approval.decision === 'approved') return { gate: 'approval', outcome: 'pass', reasons: [], detail };
      // Fail closed on a record we cannot read: neither approved nor rejected stays pending.
      if (approval.decision !== 'rejected') return { gate: 'approval', outcome: 'pending', reasons: [`unreadable approval record (decision ${JSON.stringify(approval.decision)})`], detail };
      const who = approval.by ? ` by ${approval.by}` : '';
      return { gate: 'approval', outcome: 'fail', reasons: [`rejected${who} at ${approval.at}: ${approval.reason ?? 'no reason given'}`], detail };
    },
  };
}
