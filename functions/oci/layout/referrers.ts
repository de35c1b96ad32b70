/**
 * Referrers in an OCI layout: a layout has no referrers API, so the manifests `index.json`
 * names (tagged, or the untagged entries every manifest with a `subject` gets) are scanned for
 * a `subject` of the wanted digest. Descriptors are built as the referrers API builds them
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers):
 * `artifactType` from the manifest, else its config's media type; `annotations` from the manifest.
 */
import * as fs from 'node:fs';
import type { ImageRef } from '../reference';
import type { ReferrersOptions } from '../registry-port';
import type { Descriptor } from '../schema';
import { verifyBytes } from '../digest';
import { readLayoutIndex } from './layout-index';
import { layoutPaths } from './layout-paths';
import { parseManifestJson } from '../manifest-json';

/** Manifests in `ref`'s layout whose `subject` is `ref`'s digest. */
export async function layoutReferrers(ref: ImageRef, options: ReferrersOptions = {}): Promise<Descriptor[]> {
  const subject = ref.pinned().digest;
  const paths = layoutPaths(ref);
  const index = await readLayoutIndex(paths);
  const seen = new Set<string>();
  const found: Descriptor[] = [];
  for (const entry of index.manifests) {
    if (seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(paths.blob(entry.digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // a dangling entry is not a referrer
      throw err;
    }
    verifyBytes(`manifest ${entry.digest} in ${ref.name}`, bytes, entry.digest);
    const json = parseManifestJson(bytes, `manifest ${entry.digest}`);
    const manifestSubject = json.subject as { digest?: unknown } | undefined;
    if (manifestSubject?.digest !== subject) continue;
    const config = json.config as { mediaType?: unknown } | undefined;
    const artifactType = typeof json.artifactType === 'string' ? json.artifactType : typeof config?.mediaType === 'string' ? config.mediaType : undefined;
    if (options.artifactType !== undefined && artifactType !== options.artifactType) continue;
    found.push({
      mediaType: entry.mediaType,
      digest: entry.digest,
      size: bytes.length,
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(json.annotations !== undefined ? { annotations: json.annotations as Record<string, string> } : {}),
    });
  }
  return found;
}
