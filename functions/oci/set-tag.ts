/** Points a target tag at a copied manifest: the last step of a copy, after all content is in place. */
import { DigestMismatchError } from '../errors';
import type { CopyRun } from './copy-run';
import type { CopiedManifest } from './manifest-copier';

/**
 * Sets `tag` to the manifest unless it already points there (one HEAD instead of a PUT on a
 * no-op re-run). A manifest this copy has just pushed was not in the target, so no tag pointed
 * at it: its tags are PUT without asking (a first sync of 30 tags saves 60 HEADs; issue #20).
 */
export async function setTag(run: CopyRun, tag: string, manifest: Pick<CopiedManifest, 'digest' | 'mediaType' | 'bytes' | 'pushed'>): Promise<void> {
  const { target, targetRepo } = run.options;
  const ref = targetRepo.withTag(tag);
  const current = manifest.pushed ? undefined : await run.task(() => target.manifestHead(ref));
  if (current?.digest === manifest.digest) {
    run.emit({ type: 'tag', tag, digest: manifest.digest, action: 'unchanged' });
    return;
  }
  const stored = await run.task(() => target.manifestPut(ref, { mediaType: manifest.mediaType, bytes: manifest.bytes }));
  if (stored !== manifest.digest) throw new DigestMismatchError(`tag ${ref.toString()}`, manifest.digest, stored);
  run.emit({ type: 'tag', tag, digest: manifest.digest, action: 'set' });
}
