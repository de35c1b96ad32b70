/**
 * The `Registry` port: everything the pipeline asks of an OCI store. Two backends implement
 * it with the same file names: `oci/registry/` (the Distribution API over undici) and
 * `oci/layout/` (an OCI image layout on disk). Capabilities only some backends have are
 * separate interfaces checked with a type guard, never stubs that throw.
 */
import type { Readable } from 'node:stream';
import type { ImageRef } from './reference';
import type { Descriptor } from './schema';

export type { Descriptor } from './schema';

/** A manifest as stored: its exact bytes, their digest and media type. */
export interface Manifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

/** What a manifest HEAD tells without fetching the body. */
export interface ManifestInfo {
  digest: string;
  mediaType: string;
  size: number;
}

/** Options of {@link Registry.tagList}. */
export interface TagListOptions {
  /** Tags asked per page (`n`); the client follows `Link` headers until the end. */
  pageSize?: number;
}

/** Options of {@link Registry.blobPut}. */
export interface BlobPutOptions {
  /** Upload in PATCH chunks of this many bytes instead of one monolithic PUT. */
  chunkSize?: number;
  /**
   * The body already fails before its end when a byte or the length differs from the
   * descriptor (it is a `blobGet` stream of a port, which verifies): not hashed a second time.
   * A backend that writes the bytes itself (an OCI layout) verifies them anyway.
   */
  verifiedBody?: boolean;
}

/** Options of {@link Registry.referrers}. */
export interface ReferrersOptions {
  artifactType?: string;
  /**
   * The repository's tags, when the caller listed them: the referrers tag (the fallback where
   * the referrers API is missing) is fetched only when it is among them, instead of asked for.
   */
  tags?: ReadonlySet<string>;
}

export interface Registry {
  /** Checks that the registry answers and accepts our credentials for this repository. */
  ping(ref: ImageRef): Promise<void>;
  /** Digest, media type and size of the manifest `ref` names (tag or digest); undefined when there is none. */
  manifestHead(ref: ImageRef): Promise<ManifestInfo | undefined>;
  /** The manifest's exact bytes, verified against the digest (the pinned one, or the one the registry states). */
  manifestGet(ref: ImageRef): Promise<Manifest>;
  /** Stores a manifest under `ref`'s tag, or under its digest when it has no tag; returns the digest. */
  manifestPut(ref: ImageRef, manifest: { mediaType: string; bytes: Buffer }): Promise<string>;
  /** Size of a blob in `ref`'s repository; undefined when it is not there. */
  blobHead(ref: ImageRef, digest: string): Promise<{ size: number } | undefined>;
  /** A stream of the blob's bytes that errors, before it ends, when they do not match the descriptor. */
  blobGet(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable>;
  /** Uploads a blob; the body is a factory so a retry can start over. */
  blobPut(ref: ImageRef, descriptor: Pick<Descriptor, 'digest' | 'size'>, body: () => Readable, options?: BlobPutOptions): Promise<void>;
  /** Every tag of `ref`'s repository, following pagination. */
  tagList(ref: ImageRef, options?: TagListOptions): Promise<string[]>;
  /** Manifests whose `subject` is `ref`'s digest (referrers API, or the `sha256-<hex>` tag schema). */
  referrers(ref: ImageRef, options?: ReferrersOptions): Promise<Descriptor[]>;
}

/** Cross-repository blob mount within one registry. */
export interface BlobMounter {
  /** Mounts the blob from `from`'s repository into `ref`'s; false when the registry declined (then upload). */
  blobMount(ref: ImageRef, digest: string, from: ImageRef): Promise<boolean>;
}

/** Deleting manifests (tag rollback cleanup, tests). */
export interface ManifestDeleter {
  manifestDelete(ref: ImageRef): Promise<void>;
}

export function canMount(registry: Registry): registry is Registry & BlobMounter {
  return typeof (registry as Partial<BlobMounter>).blobMount === 'function';
}

export function canDelete(registry: Registry): registry is Registry & ManifestDeleter {
  return typeof (registry as Partial<ManifestDeleter>).manifestDelete === 'function';
}
