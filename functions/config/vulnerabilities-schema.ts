/**
 * The `vulnerabilities:` gate (docs/configuration.md; functions/gates/vulnerabilities/): a scanner
 * report from a command (the `command` gate's shape, whose stdout is the report) or from a
 * vulnerability attestation referrer, judged by `maxSeverity`, `noNew` and `ignore`.
 */
import { z } from 'zod';
import { SEVERITIES } from '../pipeline/vulnerability-summary';
import { matching, text } from './schema-fields';

const severity = z.enum(SEVERITIES);

/** `2027-01-31` (through that day, UTC) or an ISO time with a zone. */
const untilField = matching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/, 'a date such as 2027-01-31 (or an ISO time with a zone)').refine((v) => !Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v)), { message: 'expected a real date', params: { expected: 'a real date' } });

const ignoreEntry = z.strictObject({
  /** The vulnerability id (CVE-…, GHSA-…) as the scanner reports it. */
  id: text,
  /** Only in this package; default: in any. */
  package: text.optional(),
  until: untilField.optional(),
  reason: text.optional(),
});

/** The gate's schema, over the `command` gate's (passed in: it lives in gate-schema.ts). */
export function vulnerabilitiesGateSchema<C extends z.ZodObject>(commandGate: C) {
  return z
    .strictObject({
      scanner: commandGate.extend({ format: z.enum(['trivy', 'grype', 'sarif']).optional() }).strict().optional(),
      /** Read a vulnerability attestation referrer instead of running a scanner. */
      attestation: z.union([z.literal(true), z.strictObject({ predicateType: text.optional() })]).optional(),
      /** Fail on any finding above this severity. */
      maxSeverity: severity.optional(),
      /** Fail when the candidate adds findings of these severities compared with the promoted digest. */
      noNew: z.array(severity).min(1).optional(),
      ignore: z.array(ignoreEntry).max(1000).optional(),
    })
    .superRefine((v, ctx) => {
      const issue = (expected: string) => ctx.issues.push({ code: 'custom', message: `expected ${expected}`, input: v, params: { expected } });
      if ((v.scanner === undefined) === (v.attestation === undefined)) issue('exactly one of scanner (a command printing the report) or attestation');
      if (v.maxSeverity === undefined && v.noNew === undefined) issue('maxSeverity or noNew (a gate must judge something)');
    });
}
