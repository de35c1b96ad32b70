/**
 * The promotion closure: every manifest and blob that promoting one pinned digest writes,
 * resolved and bounded before a byte moves, so that what is promoted is exactly what the gates
 * judged (issue #16). The copy (copy.ts) and the ARM import write nothing outside it.
 *
 * What it holds, walked as the copy writes it:
 * - the root, an index filtered to the wanted platforms when a filter is given (platform-filter.ts:
 *   entries without a platform and nested indexes are kept, nested indexes whole);
 * - every entry of every index, recursively;
 * - each image manifest's config and layers (foreign layers are never copied);
 * - the referrers (referrers API or tag, and cosign's `sha256-<hex>.sig|.att|.sbom` tags) of
 *   every manifest written as is, and theirs, to a fixed depth, with everything under them.
 *   At promotion only the referrers the gates saw are taken (`referrers.only`).
 *
 * Each manifest is classified by its content, not by what a descriptor claims:
 * - `image`: an image manifest with a filesystem layer (closure-kinds.ts) is runnable, whatever
 *   its annotations or platform say, so an "attestation" or `unknown/unknown` entry carrying a
 *   filesystem layer is judged like any platform;
 * - `attachment`: any other image manifest (BuildKit attestations, in-toto statements, cosign
 *   signatures, SBOMs, artifacts) is judged with what it is attached to: the sibling entry its
 *   `vnd.docker.reference.digest` annotation names, a referrer's subject, else its index;
 * - `index`: a container; its entries are judged.
 *
 * Bounds, checked as the walk goes and before fetching what would pass them (a hostile index
 * of a million entries costs one fetch): `maxManifests` manifests, `maxTotalSize` bytes
 * (manifests plus each distinct blob once, as declared: the copy verifies every byte against
 * those sizes) and {@link MAX_MANIFEST_BYTES_HELD} bytes of manifests held in memory.
 */
import { ContentRejectedError } from '../errors';
import { formatBytes } from '../gates/human-units';
import { attachedToOf, isRunnableImage } from './closure-kinds';
import { isForeignLayer, parseManifestJson } from './manifest-json';
import { isIndex, isKnownManifest } from './media-types';
import { filterIndex, type PlatformSpec } from './platform-filter';
import type { ImageRef } from './reference';
import { referrersTag } from './referrers-tag';
import type { Registry } from './registry-port';
import { imageManifestSchema, indexSchema, type Descriptor } from './schema';

/** The bounds of one closure. */
export interface ClosureLimits {
  /** Bytes in all: manifests plus distinct blobs. */
  maxTotalSize: number;
  /** Manifests in all: the root, every index entry, every referrer and what is under it. */
  maxManifests: number;
}

/** Default bounds, each with its reason. */
export const CLOSURE_LIMITS: ClosureLimits = {
  /** 10 GiB: CUDA and ML base images reach a few GiB per platform; beyond that is a mistake or an attack. */
  maxTotalSize: 10 * 1024 ** 3,
  /** Docker's official multi-arch images have ~20 manifests with their attestations; 500 leaves room for referrers and mirrors none of a hostile million. */
  maxManifests: 500,
};

/** Manifests are small (a few KiB); 64 MiB held at once is far beyond any real closure and bounds a hostile one. */
export const MAX_MANIFEST_BYTES_HELD = 64 * 1024 * 1024;

/** One manifest of the closure. */
export interface ClosureManifest {
  digest: string;
  mediaType: string;
  /** The bytes as served (verified against `digest` by the port). */
  bytes: Buffer;
  /** What a copy writes: `bytes`, or a root index filtered to the wanted platforms (another digest). */
  written: Buffer;
  role: 'root' | 'child' | 'referrer';
  kind: 'image' | 'attachment' | 'index';
  /** The index that lists it, or the subject a referrer refers to. */
  parent?: string;
  /** An attachment's anchor: the entry it annotates, a referrer's subject, else its index. */
  attachedTo?: string;
  /** The descriptor that named it (platform, annotations, artifactType); none for the root. */
  descriptor?: Descriptor;
  /** An index's entries as written (after the filter). */
  children: Descriptor[];
  /** An image manifest's config and copied layers. */
  blobs: Descriptor[];
}

/** A referrer as found: by the referrers API (or its tag), or by cosign's tag schema. */
export interface ClosureReferrer {
  subject: string;
  descriptor: Descriptor;
  /** cosign's tag (`sha256-<hex>.sig`) it was found under, set in the target too. */
  tag?: string;
  /** 0 for referrers of the image, 1 for theirs, ... */
  depth: number;
}

/** Everything a promotion writes. */
export interface Closure {
  root: ClosureManifest;
  /** By source digest; parents before children, the image before its referrers. */
  manifests: ReadonlyMap<string, ClosureManifest>;
  referrers: readonly ClosureReferrer[];
  /** Distinct blobs and their declared sizes. */
  blobs: ReadonlyMap<string, number>;
  /** Manifest bytes plus distinct blob bytes. */
  totalSize: number;
  /** Referrers the source listed that were left out (not among `referrers.only`). */
  leftOut: string[];
}

/** How to resolve a closure. */
export interface ResolveClosureOptions {
  /** Where the image is read: manifests by digest, cosign tags by HEAD, referrers. */
  source: Pick<Registry, 'manifestGet' | 'manifestHead' | 'referrers'>;
  /** The image, pinned. */
  ref: ImageRef;
  /** Platforms the root index is filtered to (as the copy filters it). */
  platforms?: readonly PlatformSpec[];
  limits?: Partial<ClosureLimits>;
  /** Include referrers; none when omitted. */
  referrers?: {
    depth: number;
    cosignSuffixes: readonly string[];
    /** The source repository's tags, listed once; undefined when listing failed (each lookup then asks). */
    tags(): Promise<ReadonlySet<string> | undefined>;
    /** Take only these referrer digests (the ones the gates saw). */
    only?: ReadonlySet<string>;
  };
  /** Runs one registry request (a copy's shared limiter); directly when omitted. */
  task?<T>(operation: () => Promise<T>): Promise<T>;
}

/** Resolves, classifies and bounds the closure of `options.ref` (see the module comment). */
export async function resolveClosure(options: ResolveClosureOptions): Promise<Closure> {
  const walk = new ClosureWalk(options);
  const root = await walk.tree({ digest: options.ref.digest! }, { role: 'root' }, []);
  await walk.referrers();
  return walk.result(root!);
}

interface Place {
  role: ClosureManifest['role'];
  parent?: string;
  attachedTo?: string;
  descriptor?: Descriptor;
}

class ClosureWalk {
  private readonly limits: ClosureLimits;
  private readonly manifests = new Map<string, ClosureManifest>();
  private readonly reached = new Set<string>();
  private readonly order: string[] = [];
  private readonly blobs = new Map<string, number>();
  private readonly links: ClosureReferrer[] = [];
  private readonly leftOut: string[] = [];
  private total = 0;
  private held = 0;
  /** Digests written as is: the subjects whose referrers follow them. */
  private verbatim: string[] = [];

  constructor(private readonly options: ResolveClosureOptions) {
    this.limits = { ...CLOSURE_LIMITS, ...options.limits };
  }

  private run<T>(operation: () => Promise<T>): Promise<T> {
    return this.options.task ? this.options.task(operation) : operation();
  }

  /** Counts `digests` not reached yet against maxManifests, before any of them is fetched; returns them. */
  private reserve(descriptors: readonly Pick<Descriptor, 'digest'>[]): string[] {
    const fresh = [...new Set(descriptors.map((d) => d.digest))].filter((d) => !this.reached.has(d));
    if (this.reached.size + fresh.length > this.limits.maxManifests) {
      throw new ContentRejectedError('CLOSURE_TOO_MANY_MANIFESTS', `${this.what()}: promoting it would write more than ${this.limits.maxManifests} manifests (maxManifests)`);
    }
    for (const d of fresh) this.reached.add(d);
    // Reserved in listing order, synchronously: the closure's order does not depend on which fetch answers first.
    this.order.push(...fresh);
    return fresh;
  }

  private what(): string {
    return `${this.options.ref}`;
  }

  /** Adds bytes to the total; throws past maxTotalSize. */
  private count(bytes: number): void {
    this.total += bytes;
    if (this.total > this.limits.maxTotalSize) {
      throw new ContentRejectedError(
        'CLOSURE_TOO_LARGE',
        `${this.what()}: promoting it would write more than ${this.limits.maxTotalSize} bytes (maxTotalSize ${formatBytes(this.limits.maxTotalSize)}); ${this.total} bytes counted across ${this.manifests.size} manifests so far`,
      );
    }
  }

  /** Fetches the manifest `wanted` names and everything under it; undefined when it was reached before. */
  async tree(wanted: Pick<Descriptor, 'digest'> & Partial<Descriptor>, place: Place, added: string[]): Promise<ClosureManifest | undefined> {
    if (place.role === 'root' || place.role === 'referrer') {
      if (this.reserve([wanted]).length === 0) return undefined;
    }
    const { source, ref } = this.options;
    const what = `manifest ${wanted.digest} of ${ref.name}`;
    const fetched = await this.run(() => source.manifestGet(ref.withDigest(wanted.digest)));
    if (wanted.size !== undefined && fetched.bytes.length !== wanted.size) {
      throw new ContentRejectedError('SIZE_MISMATCH', `${what}: ${fetched.bytes.length} bytes, its descriptor declares ${wanted.size}`);
    }
    if (wanted.mediaType !== undefined && fetched.mediaType !== wanted.mediaType) {
      throw new ContentRejectedError('MANIFEST_INVALID', `${what}: served as ${fetched.mediaType}, its descriptor says ${wanted.mediaType}`);
    }
    if (!isKnownManifest(fetched.mediaType)) throw new ContentRejectedError('MEDIA_TYPE_UNSUPPORTED', `${what}: media type ${fetched.mediaType} is not one basegate copies`);
    this.held += fetched.bytes.length;
    if (this.held > MAX_MANIFEST_BYTES_HELD) throw new ContentRejectedError('CLOSURE_TOO_LARGE', `${this.what()}: its manifests exceed ${MAX_MANIFEST_BYTES_HELD} bytes`);
    this.count(fetched.bytes.length);
    const json = parseManifestJson(fetched.bytes, what);
    const entry: ClosureManifest = { digest: fetched.digest, mediaType: fetched.mediaType, bytes: fetched.bytes, written: fetched.bytes, ...place, kind: 'index', children: [], blobs: [] };
    if (isIndex(fetched.mediaType)) {
      const index = indexSchema.safeParse(json);
      if (!index.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${index.error.issues[0]?.message}`);
      entry.children = index.data.manifests;
      if (place.role === 'root' && this.options.platforms) {
        const filtered = filterIndex({ ...json, manifests: index.data.manifests }, this.options.platforms, what);
        if (filtered.changed) {
          entry.written = filtered.bytes;
          entry.children = filtered.kept;
        }
      }
    } else {
      const image = imageManifestSchema.safeParse(json);
      if (!image.success) throw new ContentRejectedError('MANIFEST_INVALID', `${what}: ${image.error.issues[0]?.message}`);
      entry.blobs = [image.data.config, ...image.data.layers.filter((l) => !isForeignLayer(l))];
      entry.kind = isRunnableImage(image.data) ? 'image' : 'attachment';
      if (entry.kind === 'image') delete entry.attachedTo;
      for (const blob of entry.blobs) {
        if (this.blobs.has(blob.digest)) continue;
        this.blobs.set(blob.digest, blob.size);
        this.count(blob.size);
      }
    }
    this.manifests.set(entry.digest, entry);
    added.push(entry.digest);
    if (entry.written === entry.bytes) this.verbatim.push(entry.digest);
    // Each entry once: one listed twice, or reached before through another index, is already in the closure.
    const fresh = new Set(this.reserve(entry.children));
    const children = entry.children.filter((c) => fresh.delete(c.digest));
    await Promise.all(children.map((child) => this.tree(child, { role: 'child', parent: entry.digest, attachedTo: attachedToOf(child, entry), descriptor: child }, added)));
    return entry;
  }

  /** Adds the referrers of every manifest written as is, and theirs, to the configured depth. */
  async referrers(): Promise<void> {
    const options = this.options.referrers;
    if (!options) return;
    let subjects = this.verbatim;
    const tags = subjects.length > 0 ? await options.tags() : undefined;
    for (let depth = 0; depth < options.depth && subjects.length > 0; depth++) {
      const next: string[] = [];
      const lookUp = (subject: string) => this.referrersOf(subject, depth, tags, next);
      // The first subject alone first: its answer tells whether the source has the referrers API (remembered by the port).
      const unique = [...new Set(subjects)];
      await Promise.all(unique.slice(0, 1).map(lookUp));
      await Promise.all(unique.slice(1).map(lookUp));
      subjects = next;
    }
  }

  private async referrersOf(subject: string, depth: number, tags: ReadonlySet<string> | undefined, next: string[]): Promise<void> {
    const { source, ref } = this.options;
    const { cosignSuffixes, only } = this.options.referrers!;
    const take = async (descriptor: Descriptor, tag?: string): Promise<void> => {
      if (only && !only.has(descriptor.digest)) {
        this.leftOut.push(descriptor.digest);
        return;
      }
      this.links.push({ subject, descriptor, tag, depth });
      await this.tree(descriptor, { role: 'referrer', parent: subject, attachedTo: subject, descriptor }, next);
    };
    const listed = await this.run(() => source.referrers(ref.withDigest(subject), { tags }));
    await Promise.all(listed.map((d) => take(d)));
    // cosign names its tags after sha256 digests only (a sha512 name could pass the 128-character tag limit).
    if (!subject.startsWith('sha256:')) return;
    await Promise.all(
      cosignSuffixes.map(async (suffix) => {
        const tag = `${referrersTag(subject)}.${suffix}`;
        if (tags && !tags.has(tag)) return;
        const found = await this.run(() => source.manifestHead(ref.withRepository(ref.repository).withTag(tag)));
        if (found) await take({ mediaType: found.mediaType, digest: found.digest, size: found.size }, tag);
      }),
    );
  }

  result(root: ClosureManifest): Closure {
    const manifests = new Map(this.order.filter((d) => this.manifests.has(d)).map((d) => [d, this.manifests.get(d)!] as const));
    const position = new Map(this.order.map((d, i) => [d, i] as const));
    const at = (r: ClosureReferrer): number => position.get(r.subject) ?? -1;
    // Depth by depth, subjects in closure order; a subject's own referrers keep the order they were found in (sort is stable).
    const referrers = [...this.links].sort((a, b) => a.depth - b.depth || at(a) - at(b));
    return { root, manifests, referrers, blobs: this.blobs, totalSize: this.total, leftOut: this.leftOut };
  }
}
