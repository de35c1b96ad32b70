/**
 * Promotes an approved digest into Azure Container Registry with ARM `importImage`: ACR copies
 * the image server side, bytes never pass through the function (design.md, issue #4).
 *
 * Order, so that a tag never points at something incomplete and a re-run is a no-op:
 * 1. Resolve the whole closure through the data plane (oci/closure.ts: ACR imports an index
 *    whole, nested indexes and attestations included, so no platform filter), bounded; refuse
 *    it when it holds a manifest the gates did not judge (`CLOSURE_NOT_JUDGED`), when the image
 *    has more than 50 manifests (ACR's import limit), or under `platformFilter: refuse` when
 *    the index has platforms beyond the wanted ones. Only the referrers the gates saw are taken.
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
import { resolveClosure, type Closure } from '../oci/closure';
import { assertJudged } from '../oci/closure-judged';
import { DEFAULTS as COPY_DEFAULTS } from '../oci/copy-options';
import type { ImageRef } from '../oci/reference';
import type { Descriptor } from '../oci/registry-port';
import type { PromoteRequest, PromoteResult, Promoter } from '../pipeline/ports';
import { importIntoAcr } from './acr-import';
import { resolveAcrImportPromoterOptions, type AcrImportPromoterOptions, type ResolvedAcrImportPromoterOptions } from './acr-import-promoter-options';
import { ArmError } from './arm-error';

export type { AcrImportPromoterOptions, AcrSourceCredentials } from './acr-import-promoter-options';

/** ACR's documented maximum of manifests in one import. */
export const ACR_IMPORT_MAX_MANIFESTS = 50;

/** The `Promoter` port over ARM `importImage`. */
export class AcrImportPromoter implements Promoter {
  /** importImage copies an index whole: the gates must judge every entry. */
  readonly filtersPlatforms = false;
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

    const closure = await this.resolveSource(source, request);
    const manifests = this.checkSource(source, closure, request);
    const imported = await this.importImmutable(source, target, immutableTag);
    const referrers = request.referrers === false ? 0 : await this.importReferrers(source, target, closure);
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

  /** The closure ACR would copy: the index whole, the referrers the gates saw (all of them when the request names none). */
  private async resolveSource(source: ImageRef, request: PromoteRequest): Promise<Closure> {
    const registry = this.options.sourceRegistry;
    return resolveClosure({
      source: registry,
      ref: source,
      limits: request.limits,
      referrers:
        request.referrers === false
          ? undefined
          : {
              depth: COPY_DEFAULTS.referrerDepth,
              cosignSuffixes: COPY_DEFAULTS.cosignSuffixes,
              tags: () => registry.tagList(source).then((t) => new Set(t), () => undefined),
              ...(request.judged ? { only: new Set(request.judged.referrers) } : {}),
            },
    });
  }

  /** Refuses what must not be imported (see the module comment); returns how many manifests the image import copies. */
  private checkSource(source: ImageRef, closure: Closure, request: PromoteRequest): number {
    if (request.judged) assertJudged(closure, request.judged, `import of ${source}`, 'ACR import copies an index whole (every entry, nested indexes, attestations) and cannot leave them out');
    const count = imageTree(closure).size;
    if (count > ACR_IMPORT_MAX_MANIFESTS) {
      throw new ContentRejectedError(
        'ACR_IMPORT_TOO_MANY_MANIFESTS',
        `${source} is an index of ${count - 1} manifests; ACR import copies at most ${ACR_IMPORT_MAX_MANIFESTS} manifests per image (promote it with the OCI copy instead)`,
      );
    }
    if (request.platforms && this.options.platformFilter === 'refuse') {
      const wanted = new Set(request.platforms);
      const extra = closure.root.children.map(platformOf).filter((p): p is string => p !== undefined && !wanted.has(p));
      if (extra.length > 0) {
        throw new ContentRejectedError('ACR_IMPORT_PLATFORM_FILTER', `${source} also has ${extra.join(', ')}; ACR import copies an index whole and cannot keep only ${request.platforms.join(', ')}`);
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

  /** Imports every referrer of the image's digest (and cosign tag) in the closure that the target lacks, one import each; returns how many. */
  private async importReferrers(source: ImageRef, target: ImageRef, closure: Closure): Promise<number> {
    const { targetRegistry } = this.options;
    const own = closure.referrers.filter((r) => r.subject === source.digest);
    const tagged = new Map(own.filter((r) => r.tag !== undefined).map((r) => [r.tag!, r.descriptor.digest] as const));
    const referrers: Descriptor[] = own.filter((r) => r.tag === undefined).map((r) => r.descriptor);
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

/** Digests of the image itself (the root and every manifest under it), referrers apart: what one importImage copies. */
function imageTree(closure: Closure): Set<string> {
  const tree = new Set<string>();
  const walk = (digest: string): void => {
    const m = closure.manifests.get(digest);
    if (!m || tree.has(digest)) return;
    tree.add(digest);
    for (const child of m.children) walk(child.digest);
  };
  walk(closure.root.digest);
  return tree;
}
