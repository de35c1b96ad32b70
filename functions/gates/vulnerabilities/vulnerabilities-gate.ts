/**
 * Gate `vulnerabilities`: judges a scanner report of the digest (Trivy JSON, Grype JSON or
 * SARIF), from a command (scan-command.ts) or a vulnerability attestation (scan-attestation.ts),
 * by `maxSeverity`, `noNew` and `ignore` (judge-findings.ts). The baseline is the digest promoted
 * under the tag, scanned in the same run the same way; with nothing promoted every finding is new.
 *
 * The result's `detail.summary` is the bounded, normalized summary (pipeline/vulnerability-summary.ts)
 * that `status`, `/api/status`, `pendingApprovals` and `basegate diff` show; the raw report is
 * never kept. The reasons name the ids that failed the gate. A scan that errors leaves the digest
 * pending; a missing attestation fails it.
 */
import type { ImageRef } from '../../oci/reference';
import type { Gate, GateContext } from '../../pipeline/gate-port';
import type { GateResult } from '../../pipeline/records';
import type { VulnerabilitySummary } from '../../pipeline/vulnerability-summary';
import { resolveCommandGateOptions, type CommandGateOptions } from '../command';
import { judgedPlatforms, noPlatformReason } from '../judged-platforms';
import { platformMatches } from '../platform-name';
import { resolveSignaturePolicy, type ResolvedSignaturePolicy, type SignatureGateOptions } from '../signature/policy';
import { judgeFindings, type VulnerabilityPolicy } from './judge-findings';
import type { Finding, ReportFormat } from './parse-report';
import { scanFromAttestation } from './scan-attestation';
import { scanWithCommand } from './scan-command';

/** Options of {@link vulnerabilitiesGate} (the `vulnerabilities:` entry of `gates:`). */
export interface VulnerabilitiesGateOptions extends VulnerabilityPolicy {
  scanner?: CommandGateOptions & { format?: ReportFormat };
  attestation?: { predicateType?: string };
  /** The image's signature policy: an attestation counts only if it verifies under it. */
  signature?: SignatureGateOptions;
}

/** One image's scan: its findings; or, for the baseline, none to compare with; or the result that ends the evaluation. */
type Scan = { kind: 'scan'; format: ReportFormat; findings: Finding[] } | { kind: 'none' } | { kind: 'result'; result: GateResult };

/** Builds the gate; the scanner's options and the signature policy are checked now. */
export function vulnerabilitiesGate(options: VulnerabilitiesGateOptions): Gate {
  const scanner = options.scanner ? { ...resolveCommandGateOptions({ ...options.scanner }, 'gates.vulnerabilities.scanner'), format: options.scanner.format } : undefined;
  const policy: ResolvedSignaturePolicy | undefined = options.attestation && options.signature ? resolveSignaturePolicy(options.signature) : undefined;
  const from = scanner ? 'command' : 'attestation';

  const scan = async (context: GateContext, which: 'candidate' | 'baseline'): Promise<Scan> => {
    const side = which === 'candidate' ? { source: context.source, digest: context.digest, inspector: context.inspector } : context.baseline!;
    if (scanner) {
      const result = await scanWithCommand(scanner, pullRefOf(context, side.source.withDigest(side.digest)), await scanPlatforms(context, which), context.tag, context.signal);
      if ('error' in result) {
        const what = which === 'candidate' ? '' : ` of the promoted ${side.digest} (the baseline)`;
        return { kind: 'result', result: { gate: 'vulnerabilities', outcome: 'pending', reasons: [`scan${what}: ${result.error}`], detail: { runs: result.runs } } };
      }
      return { kind: 'scan', format: result.format, findings: result.findings };
    }
    const found = await scanFromAttestation(side.inspector, side.digest, { predicateType: options.attestation!.predicateType, policy });
    if ('missing' in found) return which === 'candidate' ? { kind: 'result', result: { gate: 'vulnerabilities', outcome: 'fail', reasons: [found.missing] } } : { kind: 'none' };
    return { kind: 'scan', format: found.format, findings: found.findings };
  };

  return {
    name: 'vulnerabilities',
    async evaluate(context) {
      if ((await judgedPlatforms(context)).length === 0) return { gate: 'vulnerabilities', outcome: 'fail', reasons: [noPlatformReason(context)] };
      const candidate = await scan(context, 'candidate');
      if (candidate.kind !== 'scan') return candidate.kind === 'result' ? candidate.result : { gate: 'vulnerabilities', outcome: 'pending', reasons: ['no scan'] };
      const baseline = context.baseline ? await scan(context, 'baseline') : ({ kind: 'none' } as Scan);
      if (baseline.kind === 'result') return baseline.result;
      const against = baseline.kind === 'scan' ? { digest: context.baseline!.digest, findings: baseline.findings } : undefined;
      const judgement = judgeFindings(options, candidate.findings, against, context.clock.now());
      const summary: VulnerabilitySummary = { format: candidate.format, from, ...judgement.summary };
      const detail = { summary, ...(judgement.expired.length ? { expiredIgnores: judgement.expired } : {}) };
      if (judgement.reasons.length === 0) return { gate: 'vulnerabilities', outcome: 'pass', reasons: [], detail };
      // An attestation-only baseline that has none: say why everything counts as new.
      const note = context.baseline && !against ? [`the promoted ${context.baseline.digest} has no vulnerability attestation: every finding counts as new`] : [];
      return { gate: 'vulnerabilities', outcome: 'fail', reasons: [...judgement.reasons, ...note], detail };
    },
  };
}

/** The platforms scanned: the judged ones; for the baseline, those of them the baseline has. */
async function scanPlatforms(context: GateContext, which: 'candidate' | 'baseline'): Promise<string[]> {
  const judged = (await judgedPlatforms(context)).map((p) => p.platform);
  if (which === 'candidate') return judged;
  const theirs = (await context.baseline!.inspector.platforms()).map((p) => p.platform);
  return judged.filter((p) => theirs.some((t) => platformMatches(p, t)));
}

/** Where the scanner pulls `ref` from: the quarantine cache when one serves it (issue #22). */
function pullRefOf(context: GateContext, ref: ImageRef): ImageRef {
  return context.pullRef?.(ref) ?? ref;
}
