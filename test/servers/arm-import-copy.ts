/**
 * What the ARM contract fake does behind `importImage`: the copy a real ACR performs server
 * side, done here between two real local `docker-registry` instances with the test-only raw
 * client (test/helpers/raw-registry.ts), never with the code under test.
 *
 * Rules followed (Registries_ImportImage in the 2025-11-01 spec, and
 * https://learn.microsoft.com/azure/container-registry/container-registry-import-images):
 * - `sourceImage` is `repo`, `repo:tag` or `repo@sha256:...`; a multi-arch index is copied with
 *   every child, nested indexes whole, bytes unchanged (the target digest equals the source digest).
 * - `targetTags` entries are `repo[:tag]`; a missing tag takes the source tag, or `latest`.
 * - `untaggedTargetRepositories` get the manifests by digest only, no tag.
 * - `mode: NoForce` (the default) fails before anything is copied when a target tag exists
 *   ("any existing target tags will fail the operation before any copying begins").
 * - At most 50 manifests per import (the index and everything under it).
 * - Referrers of the image are not copied (ACR import drops them: basegate imports each one).
 *
 * Error codes: the spec documents none for these failures. The conflict message is the one ACR
 * returns ("Tag repo:tag already exists in target registry.", seen in Azure/azure-cli#10938);
 * the codes are this fake's own (`Conflict`, `ManifestLimitExceeded`, `ImageNotFound`,
 * `SourceAuthenticationFailed`, `InvalidParameter`) and basegate must not depend on them.
 */
import { createHash } from 'node:crypto';
import { rawGetBlob, rawGetManifest, rawPushBlob, rawPushManifest, type RawTarget } from '../helpers/raw-registry';

/** ACR's documented limit of manifests per import. */
export const MAX_IMPORT_MANIFESTS = 50;

/** The import request, already schema-checked, with its source resolved to a reachable registry. */
export interface ImportJob {
  source: RawTarget;
  sourceImage: string;
  targetTags: string[];
  untaggedTargetRepositories: string[];
  mode: 'NoForce' | 'Force';
}

export type ImportOutcome = { ok: true; digest: string; manifests: number } | { ok: false; code: string; message: string };

interface Parsed {
  repository: string;
  reference: string;
  tag?: string;
}

/** Splits `repo`, `repo:tag`, `repo@digest` (the three forms the spec allows). */
export function parseSourceImage(sourceImage: string): Parsed {
  const at = sourceImage.indexOf('@');
  if (at >= 0) return { repository: sourceImage.slice(0, at), reference: sourceImage.slice(at + 1) };
  const colon = sourceImage.lastIndexOf(':');
  if (colon > sourceImage.lastIndexOf('/')) {
    const tag = sourceImage.slice(colon + 1);
    return { repository: sourceImage.slice(0, colon), reference: tag, tag };
  }
  return { repository: sourceImage, reference: 'latest', tag: 'latest' };
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Performs one import into `target`, the registry the fake stands for. */
export async function performImport(job: ImportJob, target: RawTarget): Promise<ImportOutcome> {
  const src = parseSourceImage(job.sourceImage);
  let top: Awaited<ReturnType<typeof rawGetManifest>>;
  try {
    top = await rawGetManifest(job.source, src.repository, src.reference);
  } catch (err) {
    return { ok: false, code: 'SourceAuthenticationFailed', message: `could not read ${job.sourceImage} from ${job.source.host}: ${(err as Error).message}` };
  }
  if (!top) return { ok: false, code: 'ImageNotFound', message: `source image ${job.source.host}/${job.sourceImage} not found` };
  if (src.reference.startsWith('sha256:') && top.digest !== src.reference) {
    return { ok: false, code: 'ImageNotFound', message: `source answered ${top.digest} for ${src.reference}` };
  }
  // Every manifest under the index, children before their index; one missing fails the import before anything is copied.
  const children: Array<{ digest: string; mediaType: string; bytes: Buffer }> = [];
  const walk = async (bytes: Buffer): Promise<string | undefined> => {
    for (const child of (JSON.parse(bytes.toString('utf8')) as { manifests?: Array<{ digest: string }> }).manifests ?? []) {
      if (children.some((c) => c.digest === child.digest) || children.length >= MAX_IMPORT_MANIFESTS) continue;
      const m = await rawGetManifest(job.source, src.repository, child.digest);
      if (!m || m.digest !== child.digest) return `child manifest ${child.digest} missing or corrupt in the source`;
      const missing = await walk(m.bytes);
      if (missing) return missing;
      children.push(m);
    }
    return undefined;
  };
  const missing = await walk(top.bytes);
  if (missing) return { ok: false, code: 'ImageNotFound', message: missing };
  const manifests = 1 + children.length;
  if (manifests > MAX_IMPORT_MANIFESTS) {
    return { ok: false, code: 'ManifestLimitExceeded', message: `the image has ${manifests} manifests; import copies at most ${MAX_IMPORT_MANIFESTS}` };
  }

  const tags = job.targetTags.map((t) => {
    const colon = t.lastIndexOf(':');
    return colon > t.lastIndexOf('/') ? { repository: t.slice(0, colon), tag: t.slice(colon + 1) } : { repository: t, tag: src.tag ?? 'latest' };
  });
  if (job.mode === 'NoForce') {
    for (const { repository, tag } of tags) {
      const existing = await rawGetManifest(target, repository, tag);
      if (existing) return { ok: false, code: 'Conflict', message: `Tag ${repository}:${tag} already exists in target registry.` };
    }
  }

  const repositories = [...new Set([...tags.map((t) => t.repository), ...job.untaggedTargetRepositories])];
  for (const repository of repositories) {
    for (const m of children) {
      await copyBlobs(job.source, src.repository, target, repository, m.bytes);
      await rawPushManifest(target, repository, m.digest, m.mediaType, m.bytes);
    }
    await copyBlobs(job.source, src.repository, target, repository, top.bytes);
    await rawPushManifest(target, repository, top.digest, top.mediaType, top.bytes);
  }
  for (const { repository, tag } of tags) await rawPushManifest(target, repository, tag, top.mediaType, top.bytes);
  return { ok: true, digest: top.digest, manifests };
}

/** Copies the config and layers an image manifest names (an index names none). */
async function copyBlobs(source: RawTarget, sourceRepo: string, target: RawTarget, targetRepo: string, manifest: Buffer): Promise<void> {
  const doc = JSON.parse(manifest.toString('utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }> };
  const digests = [doc.config?.digest, ...(doc.layers ?? []).map((l) => l.digest)].filter((d): d is string => typeof d === 'string');
  for (const digest of digests) {
    const bytes = await rawGetBlob(source, sourceRepo, digest);
    if (!bytes || digestOf(bytes) !== digest) throw new Error(`blob ${digest} missing or corrupt in ${source.host}/${sourceRepo}`);
    await rawPushBlob(target, targetRepo, bytes);
  }
}
