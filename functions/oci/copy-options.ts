/**
 * Options of {@link copyImage}: one interface, one resolver, one `DEFAULTS`; contradictions
 * are refused before any request is made.
 */
import { ConfigError } from '../errors';
import { BlobLocations } from './blob-locations';
import { createLimit, type Limit } from './limit';
import { parsePlatform, type PlatformSpec } from './platform-filter';
import type { ClosureLimits } from './closure';
import type { JudgedClosure } from '../pipeline/ports';
import type { ImageRef } from './reference';
import type { Registry } from './registry-port';

/** What a copy reports as it goes. A listener that throws stops the copy (as a crash would, between two steps). */
export type CopyProgressEvent =
  | { type: 'blob'; digest: string; size: number; action: 'uploaded' | 'mounted' | 'skipped'; from?: string }
  | { type: 'manifest'; digest: string; mediaType: string; action: 'pushed' | 'skipped' }
  | { type: 'referrer'; subject: string; digest: string; action: 'pushed' | 'skipped' }
  | { type: 'referrers-tag'; subject: string; tag: string; digest: string }
  | { type: 'tag'; tag: string; digest: string; action: 'set' | 'unchanged' };

/** Options of {@link copyImage}. */
export interface CopyOptions {
  /** Where the image is read. */
  source: Registry;
  /** The image in `source`, pinned to a digest (a tag on it is informational only). */
  sourceRef: ImageRef;
  /** Where the image is written. */
  target: Registry;
  /** The target repository; no digest. Its tag, if any, is the tag set when `tags` is not given. */
  targetRef: ImageRef;
  /** Tags to set in the target, in this order, after all content (and referrers) is in place. */
  tags?: string[];
  /** Platforms to keep (`os/arch[/variant]`); none given keeps all and the target digest equals the source's. */
  platforms?: string[];
  /** Copy signatures, SBOMs and attestations that refer to the copied manifests. */
  referrers?: boolean;
  /** What the gates judged: a closure holding anything else is refused before any byte moves; only these referrers are copied. */
  judged?: JudgedClosure;
  /** Bounds of the closure (closure.ts's defaults for what is not given). */
  limits?: Partial<ClosureLimits>;
  /** Leaf operations (a blob transfer, a manifest request) in flight at once, across all images of this copy. */
  concurrency?: number;
  /** A limiter shared with other copies (a sync run) instead of `concurrency`. */
  limit?: Limit;
  /** Where blobs are known to be in the target registry; share one across copies so later images mount. */
  blobLocations?: BlobLocations;
  /** Other repositories of the target registry to try mounting from when `blobLocations` knows no place. */
  mountSources?: ImageRef[];
  /** Stops the copy between two steps; what was written stays (content-addressed), no tag is set. */
  signal?: AbortSignal;
  onProgress?: (event: CopyProgressEvent) => void;
}

/** {@link CopyOptions} with every default filled in and every reference normalised. */
export interface ResolvedCopyOptions {
  source: Registry;
  /** Pinned, without tag. */
  sourceRef: ImageRef;
  target: Registry;
  /** The repository alone: no tag, no digest. */
  targetRepo: ImageRef;
  tags: string[];
  platforms: PlatformSpec[] | undefined;
  referrers: boolean;
  judged: JudgedClosure | undefined;
  limits: Partial<ClosureLimits> | undefined;
  limit: Limit;
  blobLocations: BlobLocations;
  mountSources: ImageRef[];
  referrerDepth: number;
  cosignSuffixes: readonly string[];
  signal: AbortSignal | undefined;
  onProgress: ((event: CopyProgressEvent) => void) | undefined;
}

/** Defaults of the copy, each with its reason. */
export const DEFAULTS = {
  /** docker pulls 3 layers at once; 4 keeps a copy busy without starving the 2 hashing cores or tripping registry abuse limits. */
  concurrency: 4,
  /** The issue asks for signatures, SBOMs and attestations to travel with the image. */
  referrers: true,
  /** Signature of an SBOM of an image is depth 2; a bound keeps a referrer cycle from looping. */
  referrerDepth: 3,
  /** cosign's tag schema: `sha256-<hex>.sig|.att|.sbom` (https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md). */
  cosignSuffixes: ['sig', 'att', 'sbom'],
} as const;

/** Fills in defaults and refuses contradictory options. */
export function resolveCopyOptions(options: CopyOptions): ResolvedCopyOptions {
  const { sourceRef, targetRef } = options;
  if (!sourceRef.digest) throw new ConfigError(`source ${sourceRef.toString()} must be pinned to a digest: copies never follow a tag`, { path: 'sourceRef' });
  if (targetRef.digest) throw new ConfigError(`target ${targetRef.toString()} must name a repository, not a digest`, { path: 'targetRef' });
  if (options.limit !== undefined && options.concurrency !== undefined) throw new ConfigError('give either concurrency or a shared limit, not both', { path: 'concurrency' });
  const tags = options.tags ?? (targetRef.tag !== undefined ? [targetRef.tag] : []);
  if (options.tags !== undefined && targetRef.tag !== undefined && !options.tags.includes(targetRef.tag)) {
    throw new ConfigError(`target ${targetRef.toString()} names tag ${targetRef.tag}, which is not among tags [${options.tags.join(', ')}]`, { path: 'tags' });
  }
  const targetRepo = targetRef.withRepository(targetRef.repository);
  for (const tag of tags) targetRepo.withTag(tag); // validates each tag once, here
  if (new Set(tags).size !== tags.length) throw new ConfigError(`tags [${tags.join(', ')}] repeat a tag`, { path: 'tags' });
  if (options.platforms !== undefined && options.platforms.length === 0) throw new ConfigError('an empty platform list would copy nothing; omit it to keep all', { path: 'platforms' });
  const mountSources = options.mountSources ?? [];
  for (const m of mountSources) {
    if (m.scheme !== targetRepo.scheme || m.registry !== targetRepo.registry) {
      throw new ConfigError(`mount source ${m.toString()} is not in the target registry ${targetRepo.registry}`, { path: 'mountSources' });
    }
  }
  return {
    source: options.source,
    sourceRef: sourceRef.pinned(),
    target: options.target,
    targetRepo,
    tags,
    platforms: options.platforms?.map(parsePlatform),
    referrers: options.referrers ?? DEFAULTS.referrers,
    judged: options.judged,
    limits: options.limits,
    limit: options.limit ?? createLimit(options.concurrency ?? DEFAULTS.concurrency),
    blobLocations: options.blobLocations ?? new BlobLocations(),
    mountSources: mountSources.map((m) => m.withRepository(m.repository)),
    referrerDepth: DEFAULTS.referrerDepth,
    cosignSuffixes: DEFAULTS.cosignSuffixes,
    signal: options.signal,
    onProgress: options.onProgress,
  };
}
