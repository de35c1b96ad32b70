/**
 * The pipeline's view of one `images[]` entry of basegate.yaml, already resolved by config/
 * (defaults merged, references parsed, policies compiled), so the pipeline needs no config code.
 */
import type { ImageRef } from '../oci/reference';
import type { ClosureLimits } from './ports';

/** One dependent to rebuild after a promotion; `id` names it in state and status. */
export interface DependentSpec {
  id: string;
  kind: string;
}

export interface TrackedImage {
  /** Stable id of the entry (state keys use it). */
  id: string;
  /** Upstream repository, no tag. */
  source: ImageRef;
  /** Repository in the base-image registry (or layout), no tag. */
  target: ImageRef;
  /** Explicit tags; when absent, {@link selectTags} picks them from the upstream tag list. */
  tags?: readonly string[];
  /** Applies the tag policy (allow/deny, semver, latest-N) to every upstream tag. */
  selectTags?(all: readonly string[]): string[];
  /** Tags known never to move: once promoted, they are not asked about again. */
  isImmutableTag(tag: string): boolean;
  /** Required platforms, and the only ones copied; undefined keeps all. */
  platforms?: readonly string[];
  /** The immutable tag a promotion of `digest` under `tag` gets (`20-alpine-0123456789ab`). */
  immutableTag(tag: string, digest: string): string;
  /** Accept a tag moving back upstream (to an earlier or older digest) without holding it (retag-guard.ts). */
  allowUpstreamRollback?: boolean;
  /** Changes when the gate configuration changes: a rejected digest is then re-validated. */
  gatesFingerprint: string;
  /** Bounds of what one promotion writes (gates.maxTotalSize, gates.maxManifests, defaults filled in). */
  closureLimits: ClosureLimits;
  dependents: readonly DependentSpec[];
}
