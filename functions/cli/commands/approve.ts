/**
 * `basegate approve|reject --config FILE IMAGE:TAG@DIGEST [--reason TEXT]`: a person's decision
 * on a digest held by the `approval: manual` gate. Recorded in state and audit; the next sync
 * (or the validate queue) acts on it. Who decided is `--by`, else the local user: the CLI
 * authenticates nobody (whoever can write the state file can decide), which the audit records as
 * `via: cli`; the HTTP API records an Entra ID principal instead (handlers/http/api-auth.ts).
 */
import * as os from 'node:os';
import { recordApproval } from '../../pipeline/approval-decision';
import type { Approval } from '../../pipeline/records';
import { parseCommand, requireConfig, UsageError } from '../args';
import { composeCli } from '../compose';
import { EXIT } from '../exit-codes';
import { findImages } from '../find-image';
import type { Output } from '../output';
import { APPROVE_USAGE } from '../usage';

export async function runApproval(decision: Approval['decision'], argv: string[], out: Output): Promise<number> {
  const command = decision === 'approved' ? 'approve' : 'reject';
  const { values, positionals } = parseCommand(command, argv, { reason: { type: 'string' }, by: { type: 'string' } }, 1);
  if (positionals.length !== 1) throw new UsageError(`${command}: expected one IMAGE:TAG@DIGEST (${APPROVE_USAGE})`);
  const runtime = await composeCli({ configFile: requireConfig(command, values), stateFile: values.state });
  try {
    const { ref, matches } = findImages(runtime.images, positionals[0], command);
    if (!ref.digest) throw new UsageError(`${command}: ${positionals[0]} must name the digest (IMAGE:TAG@sha256:...): a decision is about exact content`);
    const approval: Approval = { decision, reason: values.reason, by: values.by ?? localUser(), via: 'cli', at: runtime.deps.clock.now().toISOString() };
    for (const image of matches) await recordApproval(runtime.state, { imageId: image.id, digest: ref.digest, subject: ref.toString(), approval });
    if (values.json) out.json({ reference: ref.toString(), ...approval, images: matches.map((m) => m.id) });
    else out.result(`${decision} ${ref.toString()} (${matches.length} image${matches.length > 1 ? 's' : ''}); the next sync acts on it`);
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
}

/** The local account name, or undefined where the platform has none. */
function localUser(): string | undefined {
  try {
    return os.userInfo().username || process.env.USER;
  } catch {
    return process.env.USER;
  }
}
