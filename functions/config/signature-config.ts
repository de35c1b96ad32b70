/**
 * The resolved `signature:` gate (signature-schema.ts, as written), and how the deprecated
 * existence forms `signature: true` / `signature: { artifactType }` become `referrers`.
 */
import * as path from 'node:path';
import { warnDeprecated } from './deprecation';
import type { SafeRegex } from './safe-regex';

/** A verification policy with its files resolved against the config file's directory. */
export interface SignatureGateConfig {
  keys?: string[];
  keyless?: { issuer: string; identity?: string; identityRegexp?: SafeRegex; trustedRoot?: string };
  trustedRoot?: string;
  tlog?: number;
  ctlog?: number;
  tsa?: number;
}

/** `signature:` after the schema: true (deprecated), or an object. */
type SignatureDocument = true | { artifactType?: string; key?: string; keys?: string[]; keyless?: SignatureGateConfig['keyless']; trustedRoot?: string; tlog?: number; ctlog?: number; tsa?: number };

/** Splits `signature:` into the policy, or the `referrers` gate its deprecated forms mean (warned once). */
export function resolveSignatureGate(value: SignatureDocument, dir: string): { signature?: SignatureGateConfig; referrers?: { artifactType?: string } } {
  if (value === true || value.artifactType !== undefined) {
    warnDeprecated('BASEGATE_DEPRECATED_SIGNATURE', 'gates.signature: true / { artifactType } only checked that a referrer exists; it now loads as referrers: (use that name), and signature: verifies signatures under key, keys or keyless');
    return { referrers: value === true ? {} : { artifactType: value.artifactType } };
  }
  const file = (f: string) => path.resolve(dir, f);
  const keys = value.key !== undefined ? [value.key] : value.keys;
  return {
    signature: {
      ...(keys ? { keys: keys.map(file) } : {}),
      ...(value.keyless ? { keyless: { ...value.keyless, ...(value.keyless.trustedRoot ? { trustedRoot: file(value.keyless.trustedRoot) } : {}) } } : {}),
      ...(value.trustedRoot ? { trustedRoot: file(value.trustedRoot) } : {}),
      ...(value.tlog === undefined ? {} : { tlog: value.tlog }),
      ...(value.ctlog === undefined ? {} : { ctlog: value.ctlog }),
      ...(value.tsa === undefined ? {} : { tsa: value.tsa }),
    },
  };
}
