/**
 * The rebuild triggers' side of the `RebuildTrigger` port (functions/pipeline/ports.ts): tells one
 * dependent (a CI system, a webhook receiver, an ACR task) that its base image was promoted.
 * One implementation per file in this folder; ACR tasks live in functions/azure/ and are handed
 * in through `createRebuildTrigger`'s deps.
 *
 * Delivery is at least once (issue #6): the rebuild stage records (digest, dependent) before and
 * after a trigger, and triggers give receivers a stable delivery id so they can dedupe too.
 */
import type { DependentConfig } from '../config/config';
import type { RebuildEvent, RebuildOutcome, RebuildTrigger as RebuildTriggerPort } from '../pipeline/ports';

/** The kinds of `dependents:` entries (docs/configuration.md). */
export type DependentKind = DependentConfig['kind'];

/** Per-call options of {@link RebuildTrigger.trigger}. */
export interface RebuildTriggerCallOptions {
  /** Aborts the request (host shutdown, queue visibility about to expire). */
  signal?: AbortSignal;
}

/** Sends one rebuild request for one dependent; throws a `BasegateError` whose `temporary` says whether to retry. */
export interface RebuildTrigger extends RebuildTriggerPort {
  /** The dependent's id in state and status (its `name:`, or derived from kind and target by the config). */
  readonly id: string;
  trigger(event: RebuildEvent, options?: RebuildTriggerCallOptions): Promise<RebuildOutcome>;
  /** Releases what the trigger owns (a connection pool it built for a private CA); safe to call twice. */
  close?(): Promise<void>;
}
