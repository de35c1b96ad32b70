/**
 * One scanner report (Trivy JSON, Grype JSON or SARIF; report-schema.ts) → findings with a
 * normalized severity. The format is recognised from the document (or forced by `format:`):
 * Trivy has `SchemaVersion` and `Results`, Grype `matches`, SARIF `version: "2.1.0"` and `runs`.
 * A report that is none of them, or does not match its schema, is refused with what was wrong:
 * the gate then stays pending (an unreadable report is the scanner's failure, never a pass).
 */
import type { z } from 'zod';
import { ContentRejectedError } from '../../errors';
import type { Severity } from '../../pipeline/vulnerability-summary';
import { grypeReportSchema, sarifReportSchema, trivyReportSchema } from './report-schema';

export type ReportFormat = 'trivy' | 'grype' | 'sarif';

/** A finding as read from a report. */
export interface Finding {
  id: string;
  package: string;
  severity: Severity;
}

/** Severity names of Trivy and Grype (case-insensitive); anything else is `unknown`. */
const NAMED: Record<string, Severity> = { critical: 'critical', high: 'high', medium: 'medium', moderate: 'medium', low: 'low', negligible: 'negligible', unknown: 'unknown' };

/** GitHub's bands of SARIF `security-severity`: ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low; 0 negligible. */
export function sarifSeverity(score: string | number | undefined): Severity {
  const n = typeof score === 'number' ? score : score === undefined ? NaN : Number.parseFloat(score);
  if (!Number.isFinite(n) || n < 0 || n > 10) return 'unknown';
  return n >= 9 ? 'critical' : n >= 7 ? 'high' : n >= 4 ? 'medium' : n > 0 ? 'low' : 'negligible';
}

function named(severity: string | undefined): Severity {
  return NAMED[(severity ?? '').toLowerCase()] ?? 'unknown';
}

/** Recognises the format of a parsed report. */
export function detectFormat(json: unknown): ReportFormat | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if ('SchemaVersion' in o && ('Results' in o || 'ArtifactName' in o)) return 'trivy';
  if (Array.isArray(o.matches)) return 'grype';
  if (o.version === '2.1.0' && Array.isArray(o.runs)) return 'sarif';
  return undefined;
}

/** Parses a report document; throws REPORT_INVALID saying what was wrong. */
export function parseReport(json: unknown, forced?: ReportFormat): { format: ReportFormat; findings: Finding[] } {
  const format = forced ?? detectFormat(json);
  if (!format) throw new ContentRejectedError('REPORT_INVALID', 'the report is neither Trivy JSON (SchemaVersion, Results), Grype JSON (matches) nor SARIF 2.1.0 (version, runs)');
  switch (format) {
    case 'trivy': {
      const report = checked(trivyReportSchema, json, format);
      return { format, findings: (report.Results ?? []).flatMap((r) => (r.Vulnerabilities ?? []).map((v) => ({ id: v.VulnerabilityID, package: v.PkgName, severity: named(v.Severity) }))) };
    }
    case 'grype': {
      const report = checked(grypeReportSchema, json, format);
      return { format, findings: report.matches.map((m) => ({ id: m.vulnerability.id, package: m.artifact.name, severity: named(m.vulnerability.severity) })) };
    }
    case 'sarif': {
      const report = checked(sarifReportSchema, json, format);
      return {
        format,
        findings: report.runs.flatMap((run) => {
          const rules = run.tool.driver.rules ?? [];
          return (run.results ?? []).flatMap((r) => {
            const rule = (r.ruleIndex !== undefined ? rules[r.ruleIndex] : undefined) ?? rules.find((x) => x.id === r.ruleId);
            const id = r.ruleId ?? rule?.id;
            if (!id) return [];
            return [{ id, package: sarifPackage(r), severity: sarifSeverity(r.properties?.['security-severity'] ?? rule?.properties?.['security-severity']) }];
          });
        }),
      };
    }
  }
}

/** The package a SARIF result is about: Trivy and Grype write `Package: <name>` in the message; else the location. */
function sarifPackage(result: { message?: { text?: string }; locations?: Array<{ physicalLocation?: { artifactLocation?: { uri?: string } } }> }): string {
  const fromText = /Package: ([^\s]+)/.exec(result.message?.text ?? '')?.[1];
  return fromText ?? result.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '';
}

function checked<T>(schema: z.ZodType<T>, json: unknown, format: ReportFormat): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ContentRejectedError('REPORT_INVALID', `the ${format} report does not match its format at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
