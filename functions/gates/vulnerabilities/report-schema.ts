/**
 * The scanner report formats the `vulnerabilities` gate reads, keeping only the fields it uses
 * (style point 9). A finding is a vulnerability id in a package.
 * - Trivy JSON (`trivy image --format json`, SchemaVersion 2):
 *   https://trivy.dev/latest/docs/configuration/reporting/#json — `Results[].Vulnerabilities[]`
 *   with `VulnerabilityID`, `PkgName`, `Severity` (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN).
 * - Grype JSON (`grype -o json`): https://github.com/anchore/grype — `matches[]` with
 *   `vulnerability.id`, `vulnerability.severity` (Critical … Negligible, Unknown), `artifact.name`.
 * - SARIF 2.1.0 (`--format sarif` of either, GitHub code scanning):
 *   https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html — `runs[].results[]` with
 *   `ruleId`, the rule's `properties["security-severity"]` (a CVSS-like score; GitHub's bands:
 *   https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object).
 */
import { z } from 'zod';

export const trivyReportSchema = z.looseObject({
  SchemaVersion: z.number(),
  Results: z
    .array(
      z.looseObject({
        Target: z.string().optional(),
        Vulnerabilities: z.array(z.looseObject({ VulnerabilityID: z.string().min(1), PkgName: z.string(), Severity: z.string() })).nullish(),
      }),
    )
    .nullish(),
});

export const grypeReportSchema = z.looseObject({
  matches: z.array(
    z.looseObject({
      vulnerability: z.looseObject({ id: z.string().min(1), severity: z.string().optional() }),
      artifact: z.looseObject({ name: z.string() }),
    }),
  ),
});

const sarifRule = z.looseObject({ id: z.string(), properties: z.looseObject({ 'security-severity': z.union([z.string(), z.number()]).optional() }).optional() });

export const sarifReportSchema = z.looseObject({
  version: z.literal('2.1.0'),
  runs: z.array(
    z.looseObject({
      tool: z.looseObject({ driver: z.looseObject({ name: z.string().optional(), rules: z.array(sarifRule).optional() }) }),
      results: z
        .array(
          z.looseObject({
            ruleId: z.string().optional(),
            ruleIndex: z.number().int().optional(),
            message: z.looseObject({ text: z.string().optional() }).optional(),
            locations: z.array(z.looseObject({ physicalLocation: z.looseObject({ artifactLocation: z.looseObject({ uri: z.string().optional() }).optional() }).optional() })).optional(),
            properties: z.looseObject({ 'security-severity': z.union([z.string(), z.number()]).optional() }).optional(),
          }),
        )
        .optional(),
    }),
  ),
});
