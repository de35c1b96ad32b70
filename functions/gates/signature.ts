/**
 * Gate `signature`: a signature or attestation refers to the digest (cosign, notation),
 * optionally of one artifact type. The Registry port lists referrers through the OCI referrers
 * API and, where a registry has none, through cosign's `sha256-<hex>` tag schema
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema),
 * so both count. The signature's cryptographic verification is a `command` gate's job (cosign verify).
 */
import type { Gate } from '../pipeline/gate-port';

/** Options of {@link signatureGate}: `signature: true`, or with an artifact type. */
export interface SignatureGateOptions {
  /** Only referrers of this artifact type count (`application/vnd.dev.cosign.artifact.sig.v1+json`). */
  artifactType?: string;
}

/** Passes when at least one referrer (of `artifactType`, when given) exists; fails otherwise. */
export function signatureGate(options: SignatureGateOptions = {}): Gate {
  const { artifactType } = options;
  return {
    name: 'signature',
    async evaluate({ inspector, digest }) {
      const found = await inspector.referrers(artifactType);
      const detail = { artifactType, referrers: found.map((d) => ({ digest: d.digest, artifactType: d.artifactType })) };
      if (found.length) return { gate: 'signature', outcome: 'pass', reasons: [], detail };
      const what = artifactType ? `no referrer of type ${artifactType}` : 'no signature or attestation';
      return { gate: 'signature', outcome: 'fail', reasons: [`${what} refers to ${digest}`], detail };
    },
  };
}
