/**
 * Verifies one found signature under the policy with @sigstore/verify: the signature over its
 * content, the key (a configured public key) or the certificate (chain to the trusted root's CA
 * valid at a verified time, SCTs from its CT logs), the transparency-log entries (inclusion
 * promise or proof, and a body matching the signature) and the RFC 3161 timestamps, each kind
 * counted against the evidence the policy requires. Keyless then checks what @sigstore/verify
 * leaves to the caller: the SAN exactly (or by an RE2 regex: @sigstore/verify's own SAN check is
 * an unanchored JavaScript regex), the OIDC issuer extension (1.3.6.1.4.1.57264.1.8, or the
 * older .1.1) exactly, and the code-signing extended key usage.
 */
import * as crypto from 'node:crypto';
import { Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { describeError } from '../../errors';
import type { Evidence, ResolvedSignaturePolicy, TrustedKey } from './policy';

/** A signature found for the digest, ready to verify. */
export interface FoundSignature {
  /** Where it was found, for the verdict (`cosign sha256-….sig layer 0`, `bundle sha256:…`). */
  where: string;
  entity: SignedEntity;
  /** DER of the signing certificate, for keyless signatures. */
  leaf?: Buffer;
}

export type Verification = { ok: true; by: string } | { ok: false; why: string };

/** Extended key usage "code signing" (RFC 5280 4.2.1.12). */
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

const NO_TRUST: TrustMaterial = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey: undefined as never, validFor: () => false }) };

/** Verifies `found` under `policy`; says who verified it or why it did not. Errors fetching a trust root propagate (pending). */
export async function verifySignature(found: FoundSignature, policy: ResolvedSignaturePolicy): Promise<Verification> {
  const tsaCount = found.entity.timestamps.filter((t) => t.$case === 'timestamp-authority').length;
  if (found.entity.key.$case === 'public-key') {
    if (policy.keys.length === 0) return { ok: false, why: 'signed with a key, but the policy names no keys (only keyless)' };
    const short = shortOf(tsaCount, policy.keyEvidence);
    if (short) return { ok: false, why: short };
    // Evidence nobody asked for and no root to check it against is left aside, as cosign does with --insecure-ignore-tlog.
    const trust = policy.keyTrust ? await policy.keyTrust() : undefined;
    const entity = trust ? found.entity : { ...found.entity, tlogEntries: [], timestamps: [] };
    const errors: string[] = [];
    for (const key of policy.keys) {
      const outcome = attempt(() => verifierFor(trust ?? NO_TRUST, key, policy.keyEvidence).verify(entity));
      if (outcome === undefined) return { ok: true, by: `key ${key.name}` };
      errors.push(outcome);
    }
    const same = errors.every((e) => e === errors[0]);
    return { ok: false, why: same && policy.keys.length === 1 ? errors[0] : `no configured key verifies it (${policy.keys.map((k, i) => `${k.name}: ${errors[i]}`).join('; ')})` };
  }
  const keyless = policy.keyless;
  if (!keyless) return { ok: false, why: 'signed keylessly (a certificate), but the policy names only keys' };
  const short = shortOf(tsaCount, keyless.evidence);
  if (short) return { ok: false, why: short };
  const trust = await keyless.trust();
  const verifier = new Verifier(trust, { tlogThreshold: keyless.evidence.tlog, ctlogThreshold: keyless.evidence.ctlog, timestampThreshold: 1 });
  let signer: ReturnType<Verifier['verify']> | undefined;
  const error = attempt(() => (signer = verifier.verify(found.entity)));
  if (error !== undefined || !signer) return { ok: false, why: error ?? 'not verified' };
  const san = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const identityOk = keyless.identity !== undefined ? san === keyless.identity : san !== undefined && keyless.identityRegexp!.test(san);
  if (!identityOk) return { ok: false, why: `certificate identity ${JSON.stringify(san ?? null)} is not ${keyless.identity !== undefined ? JSON.stringify(keyless.identity) : `matched by ${keyless.identityRegexp!.source}`}` };
  if (issuer !== keyless.issuer) return { ok: false, why: `certificate issuer ${JSON.stringify(issuer ?? null)} is not ${JSON.stringify(keyless.issuer)}` };
  const usage = found.leaf ? new crypto.X509Certificate(found.leaf).keyUsage : undefined;
  if (!usage?.includes(CODE_SIGNING)) return { ok: false, why: 'certificate is not for code signing (no extended key usage 1.3.6.1.5.5.7.3.3)' };
  return { ok: true, by: `identity ${san} issued by ${issuer}` };
}

/** Verifier over the trust root's logs and authorities with exactly one acceptable key. */
function verifierFor(trust: TrustMaterial, key: TrustedKey, evidence: Evidence): Verifier {
  const material: TrustMaterial = { ...trust, publicKey: () => ({ publicKey: key.key, validFor: () => true }) };
  return new Verifier(material, { tlogThreshold: evidence.tlog, ctlogThreshold: 0, timestampThreshold: 0 });
}

/** Why the signature carries fewer RFC 3161 timestamps than required (@sigstore/verify counts them with log times). */
function shortOf(tsaCount: number, evidence: Evidence): string | undefined {
  return tsaCount < evidence.tsa ? `expected ${evidence.tsa} RFC 3161 timestamp${evidence.tsa > 1 ? 's' : ''}, found ${tsaCount}` : undefined;
}

/** Runs a verification; undefined when it passed, else the reason (the library's code and message). */
function attempt(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    const e = err as { code?: string; message?: string; cause?: unknown };
    const cause = e.cause ? ` (${describeError(e.cause)})` : '';
    return e.code ? `${e.code}: ${e.message}${cause}` : describeError(err);
  }
}
