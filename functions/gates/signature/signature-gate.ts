/**
 * Gate `signature`: passes only when a signature over *this* digest verifies under the policy
 * (policy.ts): a key or a keyless identity, and the evidence required. It looks at both formats
 * cosign writes: its simple-signing `sha256-<hex>.sig` signatures (cosign-legacy.ts) and Sigstore
 * bundles attached as referrers (sigstore-bundle.ts). A valid signature over another digest, an
 * attestation that is not a signature, or a signature by another key counts for nothing.
 *
 * The verdict names what verified (`key ./keys/cosign.pub`, `identity … issued by …`), or, for
 * each signature found, why it did not. Reading an artifact that fails (network, 5xx) throws:
 * the verdict is then pending, never a pass; malformed artifacts are reasons, not errors.
 */
import type { Gate } from '../../pipeline/gate-port';
import type { GateResult } from '../../pipeline/records';
import { cosignSignatures } from './cosign-legacy';
import { resolveSignaturePolicy, type ResolvedSignaturePolicy, type SignatureGateOptions } from './policy';
import { COSIGN_SIGN_PREDICATE, sigstoreBundles } from './sigstore-bundle';
import { verifySignature, type FoundSignature } from './verify-signed';

/** Reasons listed at most: beyond that the verdict says how many more. */
const MAX_REASONS = 10;

/** Builds the gate; reads keys and trusted roots now (a ConfigError for a bad one). */
export function signatureGate(options: SignatureGateOptions): Gate {
  const policy = resolveSignaturePolicy(options);
  return {
    name: 'signature',
    evaluate: async ({ inspector, digest }) => judgeSignatures(policy, [...(await cosignSignatures(inspector, digest)), ...(await signatureBundles(inspector, digest))], digest),
  };
}

/** Bundles of the digest that are signatures (attestations of other predicate types are named as such). */
async function signatureBundles(inspector: Parameters<typeof sigstoreBundles>[0], digest: string) {
  return (await sigstoreBundles(inspector, digest)).map((b) =>
    'entity' in b && b.predicateType !== COSIGN_SIGN_PREDICATE ? { where: b.where, problem: `an attestation (${b.predicateType}), not a signature` } : b,
  );
}

type Found = FoundSignature | { where: string; problem: string };

/** Verifies what was found until one passes. */
export async function judgeSignatures(policy: ResolvedSignaturePolicy, found: Found[], digest: string): Promise<GateResult> {
  if (found.length === 0) {
    return { gate: 'signature', outcome: 'fail', reasons: [`no signature refers to ${digest} (looked for cosign sha256-<hex>.sig signatures and Sigstore bundle referrers)`] };
  }
  const rejected: Array<{ where: string; why: string }> = [];
  for (const f of found) {
    if ('problem' in f) {
      rejected.push({ where: f.where, why: f.problem });
      continue;
    }
    const check = await verifySignature(f, policy);
    if (check.ok) return { gate: 'signature', outcome: 'pass', reasons: [], detail: { verifiedBy: check.by, signature: f.where, rejected: rejected.slice(0, MAX_REASONS) } };
    rejected.push({ where: f.where, why: check.why });
  }
  const reasons = rejected.slice(0, MAX_REASONS).map((r) => `${r.where}: ${r.why}`);
  if (rejected.length > MAX_REASONS) reasons.push(`and ${rejected.length - MAX_REASONS} more signatures that do not verify`);
  return { gate: 'signature', outcome: 'fail', reasons: [`no signature over ${digest} verifies`, ...reasons], detail: { rejected: rejected.slice(0, MAX_REASONS) } };
}
