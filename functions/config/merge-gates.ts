/** `defaults.gates` merged under an image's gates: the image wins per gate, `false` turns a gate off. */
import * as path from 'node:path';
import type { GatesConfig } from './config';
import type { GatesDocument } from './gate-schema';
import { resolveSignatureGate } from './signature-config';
import { resolveVulnerabilitiesGate } from './vulnerabilities-config';

/** Merges default and image gates into the resolved form (relative task files made absolute against `dir`). */
export function mergeGates(defaults: GatesDocument | undefined, image: GatesDocument | undefined, dir: string): GatesConfig {
  const merged: Record<string, unknown> = { ...(defaults ?? {}), ...(image ?? {}) };
  const out: GatesConfig = {};
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined || value === false) continue;
    switch (name) {
      case 'signature':
        // The deprecated existence forms become `referrers`, unless `referrers` is set too (it wins).
        Object.assign(out, resolveSignatureGate(value as Parameters<typeof resolveSignatureGate>[0], dir), out.referrers ? { referrers: out.referrers } : {});
        break;
      case 'referrers':
        out.referrers = value === true ? {} : { ...(value as { artifactType?: string }) };
        break;
      case 'command': {
        const c = value as { run: string | string[]; timeout?: number; perPlatform?: boolean; env?: Record<string, string> | string[] };
        out.command = {
          run: typeof c.run === 'string' ? c.run : [...c.run],
          timeout: c.timeout,
          ...(c.perPlatform === undefined ? {} : { perPlatform: c.perPlatform }),
          env: Array.isArray(c.env) ? [...c.env] : { ...(c.env ?? {}) },
        };
        break;
      }
      case 'vulnerabilities':
        out.vulnerabilities = resolveVulnerabilitiesGate(value as Record<string, unknown>);
        break;
      case 'acrTask': {
        const t = value as NonNullable<GatesConfig['acrTask']>;
        out.acrTask = { ...t, ...(t.encodedTask === undefined ? {} : { encodedTask: path.resolve(dir, t.encodedTask) }) };
        break;
      }
      default:
        (out as Record<string, unknown>)[name] = value;
    }
  }
  return out;
}
