/** The pipeline's view of the configured images: policies and templates bound to each entry. */
import { CLOSURE_LIMITS } from '../oci/closure';
import type { TrackedImage } from '../pipeline/tracked-image';
import type { Config, ImageConfig } from './config';
import { gatesFingerprint } from './fingerprint';
import { renderImmutableTag } from './immutable-tag';
import { isImmutableTag, resolveTags } from './tag-policy';

/** A tracked image that still knows its config entry (gates, dependents' options). */
export interface ConfiguredImage extends TrackedImage {
  config: ImageConfig;
}

/** One {@link ConfiguredImage} per `images[]` entry, in config order. */
export function trackedImages(config: Config): ConfiguredImage[] {
  return config.images.map((image) => ({
    id: image.id,
    source: image.source,
    target: image.target,
    tags: image.tags,
    selectTags: image.tagPolicy ? (all) => resolveTags(image.tagPolicy!, all) : undefined,
    isImmutableTag: (tag) => isImmutableTag(image.immutableTags, tag),
    platforms: image.platforms,
    allowUpstreamRollback: image.allowUpstreamRollback,
    immutableTag: (tag, digest) => renderImmutableTag(config.target.immutableTag, { tag, digest }),
    gatesFingerprint: gatesFingerprint(image),
    closureLimits: { maxTotalSize: image.gates.maxTotalSize ?? CLOSURE_LIMITS.maxTotalSize, maxManifests: image.gates.maxManifests ?? CLOSURE_LIMITS.maxManifests },
    dependents: image.dependents.map((d) => ({ id: d.id, kind: d.kind })),
    config: image,
  }));
}
