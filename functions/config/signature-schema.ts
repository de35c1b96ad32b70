/**
 * The `signature:` and `referrers:` gates (docs/configuration.md, issue #17).
 * - `signature` verifies a signature over the judged digest under a policy: `key`/`keys` (PEM
 *   public keys) and/or `keyless` (a Fulcio-style certificate identity and issuer, under a
 *   trusted root), with the evidence counts `tlog`, `ctlog`, `tsa`.
 * - `referrers` only requires that something refers to the digest (optionally of one artifact
 *   type): what `signature: true` / `signature: { artifactType }` meant before; those forms still
 *   load, as `referrers`, with a one-time deprecation warning (config/merge-gates.ts).
 */
import { z } from 'zod';
import { regexField, text } from './schema-fields';

/** Evidence count: entries or timestamps required (0 = not required). */
const threshold = z.int().min(0).max(10);

const keylessSchema = z
  .strictObject({
    /** The OIDC issuer the certificate names (extension 1.3.6.1.4.1.57264.1.8), exactly. */
    issuer: text,
    /** The certificate's subject alternative name, exactly. */
    identity: text.optional(),
    /** Or: a regex (RE2, unanchored: write ^...$) the SAN must match. */
    identityRegexp: regexField.optional(),
    /** A Sigstore trusted_root.json (relative to the config file); default: the public-good root. */
    trustedRoot: text.optional(),
  })
  .superRefine((k, ctx) => {
    if ((k.identity === undefined) === (k.identityRegexp === undefined)) {
      ctx.issues.push({ code: 'custom', message: 'expected exactly one of identity or identityRegexp', input: k, params: { expected: 'exactly one of identity or identityRegexp' } });
    }
  });

/** `signature:` as written: the policy, or the deprecated existence forms. */
const signatureObject = z
  .strictObject({
    /** @deprecated use `referrers: { artifactType }`: only that a referrer of this type exists. */
    artifactType: text.optional(),
    /** A PEM public key file (ECDSA P-256, Ed25519, RSA), relative to the config file. */
    key: text.optional(),
    keys: z.array(text).min(1).max(32).optional(),
    keyless: keylessSchema.optional(),
    /** Trust root for the transparency-log and timestamp evidence of key signatures (keyless has its own). */
    trustedRoot: text.optional(),
    tlog: threshold.optional(),
    ctlog: threshold.optional(),
    tsa: threshold.optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (expected: string) => ctx.issues.push({ code: 'custom', message: `expected ${expected}`, input: s, params: { expected } });
    const policy = s.key !== undefined || s.keys !== undefined || s.keyless !== undefined;
    if (s.artifactType !== undefined) {
      if (policy || s.tlog !== undefined || s.ctlog !== undefined || s.tsa !== undefined || s.trustedRoot !== undefined) issue('artifactType alone (the deprecated existence check; use referrers: { artifactType }) or a verification policy without it');
      return;
    }
    if (!policy) issue('key, keys or keyless: signature verifies a signature over the digest (to require only that something refers to it, use referrers: true)');
    if (s.key !== undefined && s.keys !== undefined) issue('one of key or keys');
    if (s.keyless?.trustedRoot !== undefined && s.trustedRoot !== undefined) issue('one trustedRoot: under keyless or beside the keys');
    if (s.keyless !== undefined && (s.tlog ?? 1) === 0 && (s.tsa ?? 0) === 0) issue('tlog or tsa of at least 1 with keyless: a short-lived certificate is checked at the time the log or a timestamp authority vouches for');
  });

/** `signature: false` (off), `signature: true` (deprecated: referrers), or an object. */
export const signatureGateSchema = z.union([z.boolean(), signatureObject]).optional();

/** `referrers: true`, or with the artifact type that must refer to the digest; `false` turns a default off. */
export const referrersGateSchema = z.union([z.boolean(), z.strictObject({ artifactType: text.optional() })]).optional();
