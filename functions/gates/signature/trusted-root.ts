/**
 * Sigstore trust roots: a `trusted_root.json` (the TrustedRoot message of sigstore's
 * protobuf-specs, https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_trustroot.proto:
 * certificate authorities, transparency logs, CT logs, timestamp authorities, each with a
 * validity window) read from a file and turned into @sigstore/verify's trust material.
 *
 * Without a file, keyless verification uses the Sigstore public-good root. It cannot be bundled
 * (it rotates): it comes from Sigstore's TUF repository, https://tuf-repo-cdn.sigstore.dev, so a
 * deployment that relies on the default needs egress to that host (docs/configuration.md).
 */
import * as fs from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { ConfigError } from '../../errors';

/** Largest trusted_root.json read: the public-good one is about 10 KiB. */
const MAX_ROOT_BYTES = 1024 * 1024;

/** Media types of the TrustedRoot message this code understands. */
const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\.v0\.1)?\+json(;version=0\.1)?$/;

/** Reads a trusted_root.json; a {@link ConfigError} at `at` says what is wrong with it. */
export function loadTrustedRoot(file: string, at: string): TrustMaterial {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (stat.size > MAX_ROOT_BYTES) throw new ConfigError(`trusted root ${file} is ${stat.size} bytes, more than the ${MAX_ROOT_BYTES} a trusted_root.json has`, { path: at, code: 'CONFIG_TRUST_ROOT' });
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read the trusted root ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { path: at, code: 'CONFIG_TRUST_ROOT' });
  }
  return parseTrustedRoot(text, `${file}`, at);
}

/** Parses the JSON of a trusted root into trust material (no keys: key signatures bring their own). */
export function parseTrustedRoot(text: string, name: string, at: string): TrustMaterial {
  let json: { mediaType?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`trusted root ${name} is not JSON: ${(err as Error).message}`, { path: at, code: 'CONFIG_TRUST_ROOT' });
  }
  if (typeof json?.mediaType !== 'string' || !MEDIA_TYPE.test(json.mediaType)) {
    throw new ConfigError(`trusted root ${name}: expected mediaType application/vnd.dev.sigstore.trustedroot+json;version=0.1, found ${JSON.stringify(json?.mediaType)}`, { path: at, code: 'CONFIG_TRUST_ROOT' });
  }
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(json));
  } catch (err) {
    throw new ConfigError(`trusted root ${name} is not a valid TrustedRoot: ${(err as Error).message}`, { path: at, code: 'CONFIG_TRUST_ROOT' });
  }
}
