/**
 * A scan carried by the image: a vulnerability attestation referrer, the Sigstore bundle cosign
 * writes for `cosign attest --type vuln` (predicate type `https://cosign.sigstore.dev/attestation/vuln/v1`,
 * https://github.com/sigstore/cosign/blob/main/specs/COSIGN_VULN_ATTESTATION_SPEC.md), whose
 * `predicate.scanner.result` is the report (Trivy, Grype or SARIF). When the image has a
 * `signature` policy the attestation counts only if it verifies under it; without one it is
 * read as it is (anyone who can push to the repository can write it: set `signature` to trust it).
 */
import type { ImageInspector } from '../../pipeline/gate-port';
import type { ResolvedSignaturePolicy } from '../signature/policy';
import { sigstoreBundles } from '../signature/sigstore-bundle';
import { verifySignature } from '../signature/verify-signed';
import { ContentRejectedError } from '../../errors';
import { parseReport, type Finding, type ReportFormat } from './parse-report';

export const VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

/** The findings of the first attestation about `digest` that (verifies and) parses, or why there is none. */
export async function scanFromAttestation(inspector: ImageInspector, digest: string, options: { predicateType?: string; policy?: ResolvedSignaturePolicy; format?: ReportFormat }): Promise<{ format: ReportFormat; findings: Finding[]; by?: string } | { missing: string }> {
  const wanted = options.predicateType ?? VULN_PREDICATE;
  const notes: string[] = [];
  for (const b of await sigstoreBundles(inspector, digest)) {
    if (!('entity' in b)) {
      if (b.predicateType === wanted) notes.push(`${b.where}: ${b.problem}`);
      continue;
    }
    if (b.predicateType !== wanted) continue;
    let by: string | undefined;
    if (options.policy) {
      const check = await verifySignature(b, options.policy);
      if (!check.ok) {
        notes.push(`${b.where}: not verified under the signature policy (${check.why})`);
        continue;
      }
      by = check.by;
    }
    const result = (b.predicate as { scanner?: { result?: unknown } } | undefined)?.scanner?.result;
    try {
      return { ...parseReport(result, options.format), ...(by ? { by } : {}) };
    } catch (err) {
      if (!(err instanceof ContentRejectedError)) throw err;
      notes.push(`${b.where}: predicate.scanner.result: ${err.message}`);
    }
  }
  return { missing: `no ${options.policy ? 'verified ' : ''}vulnerability attestation (${wanted}) refers to ${digest}${notes.length ? `: ${notes.slice(0, 5).join('; ')}` : ''}` };
}
