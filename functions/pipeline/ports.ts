/**
 * The ports the pipeline talks to. Azure and local implementations sit behind them
 * (`azure/`, `state/`, `oci/`, `rebuild/`); the pipeline imports only these types.
 */
import type { ImageRef } from '../oci/reference';
import type { DiffBrief } from './diff';

/** Time, injectable so that cooldowns and backoffs can be tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Kinds of records the state holds, one namespace (table partition) each; `delivery`: inbound
 * webhook deliveries seen (replay refusal); `detect-window`: detect requests coalesced per
 * (image, tag) (pipeline/detect-coalescing.ts).
 */
export type StateKind = 'tag' | 'verdict' | 'promotion' | 'rebuild' | 'approval' | 'poison' | 'delivery' | 'detect-window';

/**
 * A key range of {@link StateStore.list}: keys `from <= key < before`, ascending, at most `limit`.
 * Ranges are meant for keys that start with a fixed-width prefix of `A-Z a-z 0-9 . _ - ~` (such as
 * a zero-padded time bucket): Table Storage orders keys by their encoded form, which equals the
 * plain order for those characters.
 */
export interface ListRange {
  from?: string;
  before?: string;
  limit?: number;
}

/** A value with the opaque version it was read at (optimistic concurrency). */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Conditions of {@link StateStore.put}. */
export interface PutOptions {
  /** Write only if the record is still at this version; otherwise throws a `STATE_CONFLICT` error. */
  etag?: string;
  /** Write only if there is no record yet (a claim); otherwise throws a `STATE_CONFLICT` error. */
  ifAbsent?: boolean;
  /**
   * The record may reach storage after the call returns: with the store's next write, at the
   * latest when it closes (an interrupted CLI run closes it too). A crash may lose it, so only
   * for records whose loss costs nothing: detect's `checkedAt` of an unchanged tag, thousands
   * per no-op run (issue #20). The conditions are still checked at once. A backend that writes
   * each record on its own (Table Storage) writes it at once.
   */
  deferred?: boolean;
}

/** One append-only audit entry per decision. */
export interface AuditRecord {
  /** ISO time of the decision. */
  at: string;
  stage: 'detect' | 'validate' | 'promote' | 'rebuild' | 'rollback' | 'approval' | 'poison';
  /** Canonical source reference (`docker.io/library/node:20-alpine`). */
  subject: string;
  digest?: string;
  /** What was decided: `changed`, `approved`, `rejected`, `promoted`, `failed`, `triggered`... */
  outcome: string;
  /** Follows one digest across stages. */
  correlationId?: string;
  detail?: Record<string, unknown>;
}

/** Where basegate remembers what it saw and decided: a local file or Azure Table Storage. */
export interface StateStore {
  get<T>(kind: StateKind, key: string): Promise<Versioned<T> | undefined>;
  /** Writes a record and returns its new etag; honours {@link PutOptions}. */
  put<T>(kind: StateKind, key: string, value: T, options?: PutOptions): Promise<string>;
  delete(kind: StateKind, key: string): Promise<void>;
  /** Records of one kind sorted by key; with a range, only those in it (see {@link ListRange}), so a caller need not read a whole kind. */
  list<T>(kind: StateKind, range?: ListRange): Promise<Array<Versioned<T> & { key: string }>>;
  appendAudit(record: AuditRecord): Promise<void>;
  /** Audit records, oldest first; only those of `subject` when given; with `limit`, the newest `limit` of them. */
  listAudit(options?: { subject?: string; limit?: number }): Promise<AuditRecord[]>;
  /** Releases locks and handles. */
  close(): Promise<void>;
}

/** What to promote: a pinned source digest into a target repository under some tags. */
export interface PromoteRequest {
  /** Source pinned to the approved digest (the tag, if any, is informational). */
  source: ImageRef;
  /** Target repository (no tag, no digest). */
  target: ImageRef;
  /** Tags to set in the target, the moving tag first; set only after all content is in place. */
  tags: string[];
  /** Platforms to keep (`os/arch[/variant]`); undefined keeps all, and the target digest equals the source's. */
  platforms?: string[];
  /** Copy signatures, SBOMs and attestations that refer to the digest. Default true. */
  referrers?: boolean;
  /**
   * What the gates judged: the promoter resolves the closure it would write and refuses
   * (`CLOSURE_NOT_JUDGED`) when it holds a manifest outside this; of the referrers, only these are taken.
   */
  judged?: JudgedClosure;
  /** Bounds of the closure (maxTotalSize, maxManifests); the defaults when absent. */
  limits?: ClosureLimits;
}

/** Bounds of a promotion closure. */
export interface ClosureLimits {
  /** Bytes in all: manifests plus each distinct blob once. */
  maxTotalSize: number;
  /** Manifests in all: the image's, every index entry, every referrer and what is under it. */
  maxManifests: number;
}

/** What a verdict records of the closure its gates judged (the whole of what may be promoted). */
export interface JudgedClosure {
  /** Source digests of every manifest judged: the root, index entries, attachments, referrers. Sorted. */
  manifests: string[];
  /** Of those, the referrers (signatures, SBOMs, attestations found by subject or cosign tag). Sorted. */
  referrers: string[];
  /** Manifest bytes plus distinct blob bytes. */
  totalSize: number;
}

export interface PromoteResult {
  /** Digest the tags point at in the target. */
  digest: string;
  tags: string[];
  bytesUploaded: number;
  blobsUploaded: number;
  blobsMounted: number;
  blobsSkipped: number;
  manifests: number;
  referrers: number;
  durationMs: number;
}

/** Puts an approved digest into the base-image registry (OCI copy, or ARM importImage). */
export interface Promoter {
  /**
   * True when the promoter writes only the requested platforms of an index (the OCI copy); false
   * when it takes an index whole (ARM importImage), so the gates must judge every entry.
   */
  readonly filtersPlatforms: boolean;
  promote(request: PromoteRequest): Promise<PromoteResult>;
}

/** What a dependent is told when its base image was promoted. */
export interface RebuildEvent {
  event: 'base-image-promoted';
  /** Canonical source repository reference with tag (`docker.io/library/node:20-alpine`). */
  image: string;
  tag: string;
  /** Promoted digest in the target. */
  digest: string;
  previousDigest?: string;
  /** The promoted image in the target registry, pinned (`base.azurecr.io/base/node@sha256:...`). */
  target: string;
  immutableTag: string;
  time: string;
  /** What changed since the previous promotion, bounded to fit a queue message (pipeline/diff.ts briefDiff), when known. */
  diff?: DiffBrief;
}

/** Result of triggering a rebuild. */
export interface RebuildOutcome {
  /** Run id when the system returns one (ACR run, pipeline run). */
  runId?: string;
  /** `triggered`, or `skipped` when another mechanism builds it (ACR's own base-image trigger). */
  status: 'triggered' | 'skipped';
  detail?: string;
}

/** Tells one dependent to rebuild (webhook, GitHub dispatch, Azure Pipelines, ACR task run). */
export interface RebuildTrigger {
  trigger(event: RebuildEvent, options?: { signal?: AbortSignal }): Promise<RebuildOutcome>;
}
