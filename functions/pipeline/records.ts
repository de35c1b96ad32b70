/**
 * The records the pipeline keeps in the StateStore, one kind each, and their keys.
 * Every stage works on a pinned digest, so every record about a digest is keyed by it:
 * re-running a stage for the same (image, digest) finds its own earlier record.
 */
import type { DigestDiff } from './diff';
import type { JudgedClosure } from './ports';
import type { TrackedImage } from './tracked-image';

/** What basegate knows about one tracked tag (kind `tag`, key {@link tagKey}). */
export interface TagState {
  imageId: string;
  /** Source reference with tag (`docker.io/library/node:20-alpine`). */
  source: string;
  tag: string;
  /** Target repository reference (`127.0.0.1:5001/base/node`). */
  target: string;
  /** Digest the tag pointed at when last checked. */
  seenDigest?: string;
  checkedAt?: string;
  /** When each recent digest was first seen (cooldown reads this); newest last, bounded. */
  firstSeen?: Array<{ digest: string; at: string }>;
  /** Source digest last promoted, its digest in the target and immutable tag. */
  promoted?: PromotedRef;
  /** Earlier promotions, newest last, bounded: what rollback may point back at. */
  history?: PromotedRef[];
  status: TagStatus;
  /** Source digest the moving tag was rolled back from: not promoted again until forced or upstream moves on. */
  rolledBackFrom?: string;
  /** Why the tag is held, or what failed (credential-free). */
  reason?: string;
  /** The tag moved back upstream to `digest`: held until a person decides (retag-guard.ts). */
  hold?: { digest: string; reason: string; since: string };
}

/** `upstream-missing`: the tag was deleted upstream; the target keeps what was promoted (nothing is deleted). */
export type TagStatus = 'new' | 'pending' | 'rejected' | 'approved' | 'promoted' | 'failed' | 'upstream-missing';

/** The record of a tag nothing was recorded about yet: the base every stage's first write starts from. */
export function newTagState(image: TrackedImage, tag: string, status: TagStatus = 'new'): TagState {
  return { imageId: image.id, source: image.source.withTag(tag).toString(), tag, target: image.target.toString(), status };
}

export interface PromotedRef {
  sourceDigest: string;
  targetDigest: string;
  immutableTag: string;
  at: string;
  /** Set when the moving tag was pointed here by a rollback. */
  rollback?: boolean;
}

/** Outcome of one gate on one digest. */
export interface GateResult {
  gate: string;
  outcome: 'pass' | 'fail' | 'pending';
  /** Reasons a person can act on; empty on pass. */
  reasons: string[];
  /** Gate-specific facts for the audit (run id, log link, output tail, sizes...). */
  detail?: Record<string, unknown>;
}

/** The validate stage's decision on one digest (kind `verdict`, key {@link digestKey}). */
export interface Verdict {
  imageId: string;
  digest: string;
  outcome: 'approved' | 'rejected' | 'pending';
  gates: GateResult[];
  /** Fingerprint of the gate configuration the verdict was reached under. */
  fingerprint: string;
  at: string;
  attempts: number;
  /** When a pending verdict may be re-evaluated (backoff). */
  nextAttemptAt?: string;
  /** What changed since the promoted digest, on verdicts held for a person and approved ones (validate.ts). */
  diff?: DigestDiff;
  /** Of an approved verdict: the closure the gates judged, the whole of what its promotion may write. */
  closure?: JudgedClosure;
}

/** A manual decision (kind `approval`, key {@link digestKey}). */
export interface Approval {
  decision: 'approved' | 'rejected';
  reason?: string;
  /** Who decided, for people: the Entra principal's name (HTTP API), or `--by` / the local user (CLI, not authenticated). */
  by?: string;
  /** The Entra object id of the principal (HTTP API): the stable identity behind `by`. */
  byId?: string;
  /** How the decision was made: `entra` (HTTP API, authenticated by App Service) or `cli`. */
  via?: 'entra' | 'cli';
  at: string;
}

/** One rebuild of one dependent for one promoted digest (kind `rebuild`, key {@link rebuildKey}). */
export interface RebuildRecord {
  imageId: string;
  tag: string;
  dependent: string;
  targetDigest: string;
  status: 'sending' | 'sent' | 'skipped' | 'retry' | 'failed';
  attempts: number;
  runId?: string;
  detail?: string;
  lastError?: string;
  at: string;
  nextAttemptAt?: string;
}

/** Key of a tracked tag. */
export function tagKey(imageId: string, tag: string): string {
  return `${imageId}:${tag}`;
}

/** Key of a record about one digest of one image. */
export function digestKey(imageId: string, digest: string): string {
  return `${imageId}@${digest}`;
}

/**
 * One promotion: a pinned target image put under one moving tag. Two tags moving to the same
 * digest are two promotions: a dependent built FROM the second tag must hear about it too.
 */
export function promotionId(event: { target: string; tag: string }): string {
  return `${event.target}|${event.tag}`;
}

/** Key of one (promotion, dependent) pair: the unit of exactly-once rebuilds. */
export function rebuildKey(promotion: string, dependent: string): string {
  return `${promotion}|${dependent}`;
}

/** Keeps the newest `max` entries. */
export function bounded<T>(list: T[], max: number): T[] {
  return list.length > max ? list.slice(list.length - max) : list;
}
