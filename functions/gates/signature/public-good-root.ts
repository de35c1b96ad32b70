/**
 * The Sigstore public-good trust root, the default of keyless verification. It rotates, so it
 * is fetched through Sigstore's TUF repository (@sigstore/tuf: the embedded TUF root verifies
 * every metadata file) from https://tuf-repo-cdn.sigstore.dev, cached on disk between runs and in
 * memory for a day. A deployment that relies on it needs HTTPS egress to that host; a failure to
 * fetch it is an error (the gate stays pending), never a pass. @sigstore/tuf is loaded only when
 * this runs: a policy with its own trustedRoot never loads it.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import type * as tuf from '@sigstore/tuf';
import { cached } from '../../cache';
import { BasegateError, describeError } from '../../errors';

/** A day: the TUF timestamp role of the public-good instance is re-signed daily. */
const ROOT_TTL_MS = 24 * 3600_000;

/** Where the TUF metadata is cached: `BASEGATE_SIGSTORE_TUF_CACHE`, else a directory under the temp dir. */
function cachePath(): string {
  return process.env.BASEGATE_SIGSTORE_TUF_CACHE || path.join(os.tmpdir(), 'basegate-sigstore-tuf');
}

/** The public-good trust material; throws `SIGSTORE_ROOT_UNAVAILABLE` (temporary) when it cannot be fetched. */
export function publicGoodTrustedRoot(): Promise<TrustMaterial> {
  return cached({ namespace: 'sigstore.publicGoodRoot', key: cachePath(), ttl: ROOT_TTL_MS }, async () => {
    const { getTrustedRoot, DEFAULT_MIRROR_URL } = require('@sigstore/tuf') as typeof tuf;
    try {
      return toTrustMaterial(await getTrustedRoot({ cachePath: cachePath() }));
    } catch (err) {
      throw new BasegateError('SIGSTORE_ROOT_UNAVAILABLE', `cannot fetch the Sigstore public-good trusted root from ${DEFAULT_MIRROR_URL} (give keyless.trustedRoot, or allow egress to that host): ${describeError(err)}`, { temporary: true });
    }
  });
}
