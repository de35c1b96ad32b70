/**
 * The referrers tag schema, for registries without the referrers API (docker-registry 2.8):
 * an OCI index tagged `<alg>-<hex>` lists the manifests whose `subject` is that digest, and
 * keeping it current is the pushing client's job
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema,
 * #pushing-manifests-with-subject): pull it (404 = start empty), refuse anything but an index,
 * append descriptors not yet listed, push it back under the same tag.
 */
import { ContentRejectedError } from '../errors';
import type { CopyRun } from './copy-run';
import { withKeyedMutex } from './keyed-mutex';
import { parseManifestJson } from './manifest-json';
import { OCI_INDEX } from './media-types';
import { indexSchema, type Descriptor } from './schema';

/** The referrers tag of a digest: algorithm (≤ 32 chars), `-`, encoded part (≤ 64 chars). */
export function referrersTag(digest: string): string {
  const [algorithm, encoded] = digest.split(':');
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** The descriptor the referrers API would list for a referrer: no platform, no urls. */
export function referrerDescriptor(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(d.artifactType !== undefined ? { artifactType: d.artifactType } : {}),
    ...(d.annotations !== undefined ? { annotations: d.annotations } : {}),
  };
}

/**
 * Makes the target list `referrers` for `subject`: when the target's own listing (its
 * referrers API, or a layout's scan) misses some, adds them to its referrers tag. Updates of
 * one tag are serialised within the process; two processes may still race, as the spec notes.
 */
export async function ensureReferrersListed(run: CopyRun, subject: string, referrers: Descriptor[]): Promise<void> {
  const { target, targetRepo } = run.options;
  const listed = await run.task(() => target.referrers(run.targetAt(subject)));
  const missing = referrers.filter((r) => !listed.some((l) => l.digest === r.digest));
  if (missing.length === 0) return;
  const tag = referrersTag(subject);
  const tagRef = targetRepo.withTag(tag);
  await withKeyedMutex(`referrers-tag\u0000${targetRepo.name}\u0000${tag}`, async () => {
    const head = await run.task(() => target.manifestHead(tagRef));
    let index: Record<string, unknown> & { manifests: Descriptor[] } = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
    if (head) {
      const current = await run.task(() => target.manifestGet(run.targetAt(head.digest)));
      const json = parseManifestJson(current.bytes, `referrers tag ${tagRef.toString()}`);
      const parsed = indexSchema.safeParse(json);
      if (current.mediaType !== OCI_INDEX || !parsed.success) {
        throw new ContentRejectedError('REFERRERS_TAG_INVALID', `${tagRef.toString()} is not an OCI index; it is left alone and the referrers of ${subject} are not listed`);
      }
      // Keep the index's other fields as they are; only `manifests` grows.
      index = { ...json, manifests: parsed.data.manifests };
    }
    const added = missing.filter((r) => !index.manifests.some((m) => m.digest === r.digest)).map(referrerDescriptor);
    if (added.length === 0) return;
    const bytes = Buffer.from(JSON.stringify({ ...index, manifests: [...index.manifests, ...added] }));
    const digest = await run.task(() => target.manifestPut(tagRef, { mediaType: OCI_INDEX, bytes }));
    run.stats.manifests++;
    run.emit({ type: 'referrers-tag', subject, tag, digest });
  });
}
