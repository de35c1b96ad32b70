/** Tags of an OCI layout: the `org.opencontainers.image.ref.name` annotations of `index.json`. */
import type { ImageRef } from '../reference';
import { readLayoutIndex, tagOf } from './layout-index';
import { layoutPaths } from './layout-paths';

/** Every tag of `ref`'s repository, sorted; none for a layout that does not exist yet. */
export async function layoutTagList(ref: ImageRef): Promise<string[]> {
  const index = await readLayoutIndex(layoutPaths(ref));
  const tags = new Set<string>();
  for (const m of index.manifests) {
    const tag = tagOf(m);
    if (tag !== undefined) tags.add(tag);
  }
  return [...tags].sort();
}
