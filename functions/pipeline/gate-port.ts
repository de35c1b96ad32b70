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
}

/** Read access to the image under validation, fetched lazily and once, every byte verified. */
export interface ImageInspector {
  /** Top-level media type (index or manifest). */
  mediaType(): Promise<string>;
  /** Every platform image (one for a single-platform manifest); attestation entries excluded. */
  platforms(): Promise<PlatformImage[]>;
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
  signal?: AbortSignal;
}

export interface Gate {
  /** The config key of the gate (`maxSize`, `cooldown`...). */
  readonly name: string;
  /** Evaluates the gate; may throw, and a throw counts as `pending`, never as a pass. */
  evaluate(context: GateContext): Promise<GateResult>;
}
