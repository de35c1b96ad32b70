/**
 * Gate `referrers`: something refers to the digest (a signature, an SBOM, an attestation),
 * optionally of one artifact type. It checks existence only: nothing is fetched or verified
 * (the `signature` gate verifies). The Registry port lists referrers through the OCI referrers
 * API and, where a registry has none, through the `sha256-<hex>` tag schema
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema);
 * cosign's `sha256-<hex>.sig|.att|.sbom` tags count too. Before issue #17 this was the
 * `signature` gate; `signature: true` and `signature: { artifactType }` still load as this gate.
 */
import type { Gate } from '../pipeline/gate-port';

/** Options of {@link referrersGate}: `referrers: true`, or with an artifact type. */
export interface ReferrersGateOptions {
  /** Only referrers of this artifact type count (`application/spdx+json`). */
  artifactType?: string;
}

/** Passes when at least one referrer (of `artifactType`, when given) exists; fails otherwise. */
export function referrersGate(options: ReferrersGateOptions = {}): Gate {
  const { artifactType } = options;
  return {
    name: 'referrers',
    async evaluate({ inspector, digest }) {
      const found = await inspector.referrers(artifactType);
      const detail = { artifactType, referrers: found.map((d) => ({ digest: d.digest, artifactType: d.artifactType })) };
      if (found.length) return { gate: 'referrers', outcome: 'pass', reasons: [], detail };
      const what = artifactType ? `no referrer of type ${artifactType}` : 'no signature or attestation';
      return { gate: 'referrers', outcome: 'fail', reasons: [`${what} refers to ${digest}`], detail };
    },
  };
}
