/**
 * The signature policy, resolved once when the gate is built: public keys read and parsed,
 * trusted roots read, the evidence each kind of signature needs. A key or root that cannot be
 * read is a {@link ConfigError} then (exit 2 before anything is touched), not at every digest.
 *
 * Evidence defaults (issue #17): keyless needs one transparency-log entry and one CT log SCT
 * (`tlog: 1, ctlog: 1, tsa: 0`, as cosign); keys need none (they are often used privately,
 * signing with the log upload off) unless the policy sets `tlog`/`tsa`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { TrustMaterial } from '@sigstore/verify';
import type { SafeRegex } from '../../config/safe-regex';
import { ConfigError } from '../../errors';
import { publicGoodTrustedRoot } from './public-good-root';
import { loadTrustedRoot } from './trusted-root';

/** The `signature:` gate as configured (paths absolute). */
export interface SignatureGateOptions {
  /** PEM public key files. */
  keys?: readonly string[];
  keyless?: { issuer: string; identity?: string; identityRegexp?: SafeRegex; trustedRoot?: string };
  /** Trust root for key signatures' log and timestamp evidence. */
  trustedRoot?: string;
  tlog?: number;
  ctlog?: number;
  tsa?: number;
}

/** Evidence a signature must carry, verified: log entries, CT log SCTs, RFC 3161 timestamps. */
export interface Evidence {
  tlog: number;
  ctlog: number;
  tsa: number;
}

/** One trusted public key, named by its file (what the verdict says verified). */
export interface TrustedKey {
  name: string;
  key: crypto.KeyObject;
}

export interface ResolvedSignaturePolicy {
  keys: TrustedKey[];
  keyEvidence: Evidence;
  /** Trust material for key signatures' evidence; undefined when none is required and no root given. */
  keyTrust?: () => Promise<TrustMaterial>;
  keyless?: {
    issuer: string;
    identity?: string;
    identityRegexp?: SafeRegex;
    evidence: Evidence;
    trust: () => Promise<TrustMaterial>;
  };
}

const PATH = 'gates.signature';

/** Reads the keys and roots; throws {@link ConfigError} naming the file that is wrong. */
export function resolveSignaturePolicy(options: SignatureGateOptions): ResolvedSignaturePolicy {
  const keys = (options.keys ?? []).map((file, i) => ({ name: file, key: readPublicKey(file, `${PATH}.keys[${i}]`) }));
  if (keys.length === 0 && !options.keyless) throw new ConfigError('signature needs key, keys or keyless', { path: PATH, code: 'CONFIG_SIGNATURE_POLICY' });
  const keyEvidence = { tlog: options.tlog ?? 0, ctlog: 0, tsa: options.tsa ?? 0 };
  const keyRoot = options.trustedRoot ?? options.keyless?.trustedRoot;
  const keyTrust = keyRoot ? fixed(loadTrustedRoot(keyRoot, `${PATH}.trustedRoot`)) : keyEvidence.tlog + keyEvidence.tsa > 0 ? publicGoodTrustedRoot : undefined;
  const out: ResolvedSignaturePolicy = { keys, keyEvidence, ...(keyTrust ? { keyTrust } : {}) };
  if (options.keyless) {
    const k = options.keyless;
    const evidence = { tlog: options.tlog ?? 1, ctlog: options.ctlog ?? 1, tsa: options.tsa ?? 0 };
    if (evidence.tlog + evidence.tsa === 0) throw new ConfigError('keyless needs tlog or tsa of at least 1: a short-lived certificate is checked at the time a log or timestamp authority vouches for', { path: PATH, code: 'CONFIG_SIGNATURE_POLICY' });
    const trust = k.trustedRoot ? fixed(loadTrustedRoot(k.trustedRoot, `${PATH}.keyless.trustedRoot`)) : publicGoodTrustedRoot;
    out.keyless = { issuer: k.issuer, identity: k.identity, identityRegexp: k.identityRegexp, evidence, trust };
  }
  return out;
}

/** A PEM public key (SPKI: ECDSA, Ed25519, RSA) from a file. */
function readPublicKey(file: string, at: string): crypto.KeyObject {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the public key ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { path: at, code: 'CONFIG_SIGNATURE_KEY' });
  }
  if (pem.includes('PRIVATE KEY')) throw new ConfigError(`${file} is a private key: give the public key (cosign.pub), and keep the private one out of basegate's reach`, { path: at, code: 'CONFIG_SIGNATURE_KEY' });
  try {
    const key = crypto.createPublicKey(pem);
    const type = key.asymmetricKeyType;
    if (type !== 'ec' && type !== 'ed25519' && type !== 'rsa') throw new Error(`a ${type} key; expected ECDSA, Ed25519 or RSA`);
    return key;
  } catch (err) {
    throw new ConfigError(`${file} is not a PEM public key: ${(err as Error).message}`, { path: at, code: 'CONFIG_SIGNATURE_KEY' });
  }
}

function fixed(material: TrustMaterial): () => Promise<TrustMaterial> {
  return () => Promise.resolve(material);
}
