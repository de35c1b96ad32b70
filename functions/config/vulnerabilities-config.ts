/** The resolved `vulnerabilities:` gate (vulnerabilities-schema.ts as written, normalised as the command gate is). */
import type { Severity } from '../pipeline/vulnerability-summary';

export interface VulnerabilitiesGateConfig {
  scanner?: { run: string[] | string; timeout?: number; perPlatform?: boolean; env: Record<string, string> | string[]; format?: 'trivy' | 'grype' | 'sarif' };
  attestation?: { predicateType?: string };
  maxSeverity?: Severity;
  noNew?: Severity[];
  ignore?: Array<{ id: string; package?: string; until?: string; reason?: string }>;
}

/** The gate after the schema, normalised (copies, `attestation: true` as `{}`). */
export function resolveVulnerabilitiesGate(value: Record<string, unknown>): VulnerabilitiesGateConfig {
  const v = value as VulnerabilitiesGateConfig & { attestation?: true | { predicateType?: string }; scanner?: VulnerabilitiesGateConfig['scanner'] & { env?: Record<string, string> | string[] } };
  const s = v.scanner;
  return {
    ...(s
      ? {
          scanner: {
            run: typeof s.run === 'string' ? s.run : [...s.run],
            ...(s.timeout === undefined ? {} : { timeout: s.timeout }),
            ...(s.perPlatform === undefined ? {} : { perPlatform: s.perPlatform }),
            env: Array.isArray(s.env) ? [...s.env] : { ...(s.env ?? {}) },
            ...(s.format ? { format: s.format } : {}),
          },
        }
      : {}),
    ...(v.attestation ? { attestation: v.attestation === true ? {} : { ...v.attestation } } : {}),
    ...(v.maxSeverity ? { maxSeverity: v.maxSeverity } : {}),
    ...(v.noNew ? { noNew: [...v.noNew] } : {}),
    ...(v.ignore ? { ignore: v.ignore.map((e) => ({ ...e })) } : {}),
  };
}
