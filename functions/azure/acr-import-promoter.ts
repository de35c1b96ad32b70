/**
 * Promotes an approved digest into Azure Container Registry with ARM `importImage`: ACR copies
 * the image server side, bytes never pass through the function (design.md, issue #4).
 *
 * Order, so that a tag never points at something incomplete and a re-run is a no-op:
 * 1. Read the source index once (data plane): refuse more than 50 manifests (ACR's import
 *    limit), and apply the platform policy (ACR imports an index whole).
 * 2. The immutable tag (the last of `tags`; promote.ts always puts it last) is imported under
 *    `NoForce`, by digest. If the target already has it: same digest → nothing to do; another
 *    digest → `IMMUTABLE_TAG_CONFLICT`. The check is a digest comparison through the data-plane
 *    `Registry`, before the import and again after a failed one (a concurrent writer): never a
 *    match on ACR's error text.
 * 3. Referrers (signatures, SBOMs, attestations: ACR import does not copy them) one by one, by
 *    digest, after the image and before the moving tag moves, so that a verifier sees the
 *    signature as soon as the tag does. cosign's tag schema (`sha256-<hex>.sig|.att|.sbom`) is
 *    carried over with its tag, since cosign finds signatures by that tag, not by `subject`.
 * 4. The moving tags, with `mode: Force` only when one exists and points elsewhere.
 * 5. Verification: every tag in the target resolves to the digest.
 * 6. Optionally, the immutable tag is locked (`writeEnabled: false`, `deleteEnabled: false`).
 *
 * More than 50 manifests: refused (`ACR_IMPORT_TOO_MANY_MANIFESTS`) rather than importing the
 * children first — whether ACR counts children already present against the limit is not
 * documented, so children-first could still fail half-way; the OCI copy promoter has no limit.
 */
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import { BasegateError, ContentRejectedError } from '../errors';
import { isIndex } from '../oci/media-types';
import type { ImageRef } from '../oci/reference';
import { cosignTags } from '../oci/registry/referrers';
import type { Descriptor } from '../oci/registry-port';
import { indexSchema } from '../oci/schema';
import type { PromoteRequest, PromoteResult, Promoter } from '../pipeline/ports';
import { importIntoAcr } from './acr-import';
import { resolveAcrImportPromoterOptions, type AcrImportPromoterOptions, type ResolvedAcrImportPromoterOptions } from './acr-import-promoter-options';
import { ArmError } from './arm-error';

export type { AcrImportPromoterOptions, AcrSourceCredentials } from './acr-import-promoter-options';

/** ACR's documented maximum of manifests in one import. */
export const ACR_IMPORT_MAX_MANIFESTS = 50;

/** The `Promoter` port over ARM `importImage`. */
export class AcrImportPromoter implements Promoter {
  private readonly options: ResolvedAcrImportPromoterOptions;

  constructor(options: AcrImportPromoterOptions) {
    this.options = resolveAcrImportPromoterOptions(options);
  }

  /** Imports the pinned source digest into the target repository under `request.tags`. */
  async promote(request: PromoteRequest): Promise<PromoteResult> {
    const started = this.options.now();
    const source = request.source.pinned();
    const digest = source.digest!;
    const target = request.target.withRepository(request.target.repository);
    if (request.tags.length === 0) throw new BasegateError('ACR_IMPORT_NO_TAGS', `promotion of ${source} names no tag`);
    const immutableTag = request.tags[request.tags.length - 1];
    const movingTags = request.tags.slice(0, -1);

    const manifests = await this.inspectSource(source, request.platforms);
    const imported = await this.importImmutable(source, target, immutableTag);
    const referrers = request.referrers === false ? 0 : await this.importReferrers(source, target);
    await this.importMoving(source, target, movingTags);
    await this.verify(target, request.tags, digest);
    if (this.options.tagLock) await this.options.tagLock.lock(target.repository, immutableTag);
    return {
      digest,
      tags: [...request.tags],
      // ACR moved the bytes; nothing went through basegate.
      bytesUploaded: 0,
      blobsUploaded: 0,
      blobsMounted: 0,
      blobsSkipped: 0,
      // Manifests ACR copied for the image (0 when it was already there), referrers apart.
      manifests: imported ? manifests : 0,
      referrers,
      durationMs: this.options.now() - started,
    };
  }

  /** Reads the source manifest; returns how many manifests the import copies. */
  private async inspectSource(source: ImageRef, platforms: string[] | undefined): Promise<number> {
    const manifest = await this.options.sourceRegistry.manifestGet(source);
    if (!isIndex(manifest.mediaType)) return 1;
    const index = indexSchema.parse(JSON.parse(manifest.bytes.toString('utf8')));
    const count = 1 + index.manifests.length;
    if (count > ACR_IMPORT_MAX_MANIFESTS) {
      throw new ContentRejectedError(
        'ACR_IMPORT_TOO_MANY_MANIFESTS',
        `${source} is an index of ${index.manifests.length} manifests; ACR import copies at most ${ACR_IMPORT_MAX_MANIFESTS} manifests per image (promote it with the OCI copy instead)`,
      );
    }
    if (platforms && this.options.platformFilter === 'refuse') {
      const wanted = new Set(platforms);
      const extra = index.manifests.map(platformOf).filter((p): p is string => p !== undefined && !wanted.has(p));
      if (extra.length > 0) {
        throw new ContentRejectedError('ACR_IMPORT_PLATFORM_FILTER', `${source} also has ${extra.join(', ')}; ACR import copies an index whole and cannot keep only ${platforms.join(', ')}`);
      }
    }
    return count;
  }

  /** Imports the immutable tag under NoForce; false when it was already there with the digest. */
  private async importImmutable(source: ImageRef, target: ImageRef, tag: string): Promise<boolean> {
    const digest = source.digest!;
    if (await this.sameDigestOrConflict(target, tag, digest)) return false;
    try {
      await this.importImage(source, { targetTags: [`${target.repository}:${tag}`], mode: 'NoForce' });
      return true;
    } catch (err) {
      // A concurrent writer may have set the tag between the check and the import: decide by digest.
      if (err instanceof ArmError && !err.temporary && (await this.sameDigestOrConflict(target, tag, digest))) return false;
      throw err;
    }
  }

  /** True when `target:tag` exists with `digest`; throws IMMUTABLE_TAG_CONFLICT when it points elsewhere; false when absent. */
  private async sameDigestOrConflict(target: ImageRef, tag: string, digest: string): Promise<boolean> {
    const existing = await this.options.targetRegistry.manifestHead(target.withTag(tag));
    if (!existing) return false;
    if (existing.digest === digest) return true;
    throw new BasegateError('IMMUTABLE_TAG_CONFLICT', `${target.withTag(tag)} already points at ${existing.digest}, not ${digest}; an immutable tag is never moved`);
  }

  /** Points the moving tags at the digest; Force only when one exists elsewhere. False when all were in place. */
  private async importMoving(source: ImageRef, target: ImageRef, tags: string[]): Promise<boolean> {
    const digest = source.digest!;
    const pending: string[] = [];
    let force = false;
    for (const tag of tags) {
      const existing = await this.options.targetRegistry.manifestHead(target.withTag(tag));
      if (existing?.digest === digest) continue;
      pending.push(tag);
      if (existing) force = true;
    }
    if (pending.length === 0) return false;
    await this.importImage(source, { targetTags: pending.map((t) => `${target.repository}:${t}`), mode: force ? 'Force' : 'NoForce' });
    return true;
  }

  /** Imports every referrer (and cosign tag) the target lacks, one import each; returns how many. */
  private async importReferrers(source: ImageRef, target: ImageRef): Promise<number> {
    const { sourceRegistry, targetRegistry } = this.options;
    const tagged = new Map((await cosignTags(sourceRegistry, source)).map((t) => [t.tag, t.info.digest] as const));
    const referrers: Descriptor[] = await sourceRegistry.referrers(source);
    const taggedDigests = new Set(tagged.values());
    let imported = 0;
    for (const [tag, digest] of tagged) {
      const existing = await targetRegistry.manifestHead(target.withTag(tag));
      if (existing?.digest === digest) continue;
      await this.importImage(source.withDigest(digest), { targetTags: [`${target.repository}:${tag}`], mode: existing ? 'Force' : 'NoForce' });
      imported++;
    }
    for (const referrer of referrers) {
      if (taggedDigests.has(referrer.digest)) continue;
      if (await targetRegistry.manifestHead(target.withDigest(referrer.digest))) continue;
      await this.importImage(source.withDigest(referrer.digest), { untaggedTargetRepositories: [target.repository], mode: 'NoForce' });
      imported++;
    }
    return imported;
  }

  /** Checks through the data plane that every tag resolves to the digest. */
  private async verify(target: ImageRef, tags: string[], digest: string): Promise<void> {
    for (const tag of tags) {
      const found = await this.options.targetRegistry.manifestHead(target.withTag(tag));
      if (found?.digest !== digest) {
        throw new BasegateError('ACR_IMPORT_VERIFY_FAILED', `after import, ${target.withTag(tag)} resolves to ${found?.digest ?? 'nothing'}, not ${digest}`, { temporary: true });
      }
    }
  }

  /** One importImage of `source` (pinned) with the given target part. */
  private async importImage(source: ImageRef, targetPart: Pick<ImportImageParameters, 'targetTags' | 'untaggedTargetRepositories' | 'mode'>): Promise<void> {
    const parameters: ImportImageParameters = {
      source: {
        registryUri: source.registry,
        sourceImage: `${source.repository}@${source.digest!}`,
        ...(await this.credentialsFor(source.registry)),
      },
      ...targetPart,
    };
    await importIntoAcr(this.options.client, this.options.registry, parameters, { timeoutMs: this.options.timeoutMs, pollIntervalMs: this.options.pollIntervalMs });
  }

  private async credentialsFor(registry: string): Promise<Pick<ImportImageParameters['source'], 'credentials'>> {
    const refs = this.options.credentials[registry];
    if (!refs) return {};
    const resolve = this.options.resolveSecret!;
    return { credentials: { password: await resolve(refs.password), ...(refs.username ? { username: await resolve(refs.username) } : {}) } };
  }
}

/** `os/arch[/variant]` of an index entry, when it says. */
function platformOf(descriptor: Descriptor): string | undefined {
  const p = descriptor.platform;
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined;
}
