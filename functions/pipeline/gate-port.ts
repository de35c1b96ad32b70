/**
 * The Gate port: one check on one pinned digest. Implementations live in `gates/`, one per file;
 * the validate stage runs them all and fails closed.
 */
import type { ImageRef } from '../oci/reference';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from '../oci/schema';
import type { Clock } from './ports';
import type { Approval, GateResult } from './records';
import type { TrackedImage } from './tracked-image';

/** One platform's manifest of the image under validation. */
export interface PlatformImage {
  /** `os/arch[/variant]`. */
  platform: string;
  descriptor: Descriptor & { platform?: Platform };
  manifest: ImageManifest;
  /** Attachments judged with it (its attestations, their signatures): see {@link ClosureEntry}. */
  attachments?: ClosureEntry[];
}

/** One manifest of what promoting the digest writes (functions/oci/closure.ts). */
export interface ClosureEntry {
  digest: string;
  mediaType: string;
  /** Runnable image (it has a filesystem layer), attachment (attestation, signature, SBOM, artifact) or index. */
  kind: 'image' | 'attachment' | 'index';
  role: 'root' | 'child' | 'referrer';
  /** Declared bytes of its config and layers (0 for an index). */
  size: number;
  /** An attachment's anchor: the entry it annotates, a referrer's subject, else its index. */
  attachedTo?: string;
  /** `os/arch[/variant]` as its index entry states it. */
  platform?: string;
}

/** Everything promoting the digest writes, resolved and bounded before anything is copied. */
export interface PromotionClosure {
  entries: ClosureEntry[];
  /** Digests of the referrers taken (a subset of the entries' digests). */
  referrers: string[];
  /** Manifest bytes plus distinct blob bytes. */
  totalSize: number;
}

/** Read access to the image under validation, fetched lazily and once, every byte verified. */
export interface ImageInspector {
  /** Top-level media type (index or manifest). */
  mediaType(): Promise<string>;
  /**
   * Every runnable image the promotion writes (one for a single-platform manifest), wherever it
   * sits in the closure: index entries, nested indexes, referrers. Attachments are not platforms:
   * each comes with the platform it is attached to.
   */
  platforms(): Promise<PlatformImage[]>;
  /** Platforms the image offers at its top level, before any filter (`os/arch[/variant]`; attestations left out): what the platforms gate names. */
  offered(): Promise<string[]>;
  /** The closure the promotion writes, bounded (throws `CLOSURE_TOO_LARGE` / `CLOSURE_TOO_MANY_MANIFESTS`). */
  closure(): Promise<PromotionClosure>;
  /** The image config of one platform. */
  config(image: PlatformImage): Promise<ImageConfig>;
  /** Referrers of the digest (signatures, SBOMs, attestations), optionally of one artifact type. */
  referrers(artifactType?: string): Promise<Descriptor[]>;
  /** A manifest of the image's repository by digest (a referrer's), its bytes verified. */
  manifest(digest: string): Promise<{ mediaType: string; bytes: Buffer }>;
  /** A small blob of the repository (a signature payload, a bundle), verified; refused above `maxBytes`. */
  blob(descriptor: Pick<Descriptor, 'digest' | 'size'>, maxBytes: number): Promise<Buffer>;
}

export interface GateContext {
  image: TrackedImage;
  tag: string;
  /** Source pinned to the digest under validation. */
  source: ImageRef;
  digest: string;
  inspector: ImageInspector;
  clock: Clock;
  /** When basegate first saw this digest (cooldown). */
  firstSeen?: Date;
  /** A person's decision on this digest, if any. */
  approval?: Approval;
  /** The digest promoted under the tag now, when there is one and it is not this one: what a delta is against. */
  baseline?: { digest: string; source: ImageRef; inspector: ImageInspector };
  /** Where a process pulls a pinned source from (the quarantine cache's repository when one serves it); the source itself when absent. */
  pullRef?: (source: ImageRef) => ImageRef;
  signal?: AbortSignal;
}

export interface Gate {
  /** The config key of the gate (`maxSize`, `cooldown`...). */
  readonly name: string;
  /** Evaluates the gate; may throw, and a throw counts as `pending`, never as a pass. */
  evaluate(context: GateContext): Promise<GateResult>;
}
