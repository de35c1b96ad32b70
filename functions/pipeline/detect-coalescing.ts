/**
 * Detect requests coalesced per (image, tag) across every instance of the app (issue #15), in
 * the StateStore (kind `detect-window`; Table Storage in Azure, so all instances share it):
 *
 * - the first request opens a window and its detect is sent at once;
 * - the next request within the window schedules one trailing detect, sent now with a queue
 *   visibility delay to the window's end; it runs after every push the window saw, so a tag
 *   that moved twice in the window still ends at its final digest;
 * - every later request within the window is covered by that trailing detect and sends nothing.
 *
 * So whatever arrives, one (image, tag) costs at most two detects per window. Each step is a
 * conditional write (create, or replace at the etag read), so two instances deciding at once
 * cannot both send: the loser reads again and decides on what the winner wrote.
 */
import { BasegateError } from '../errors';
import type { StateStore } from './ports';

/** The window of one (image, tag) (kind `detect-window`, key {@link windowKey}). */
export interface DetectWindow {
  imageId: string;
  /** Undefined: a detect of every tracked tag of the image. */
  tag?: string;
  /** When the window opened (ISO). */
  start: string;
  /** When the trailing detect was scheduled for, once one was. */
  trailingAt?: string;
}

/** What the caller does with its request. */
export type CoalescedDetect =
  | { send: 'now' }
  | { send: 'delayed'; delaySeconds: number; at: string }
  | { send: 'none'; coveredBy: string };

/** What was claimed, so that a failed send can give it back. */
export interface CoalescingClaim {
  key: string;
  etag: string;
  previous?: { value: DetectWindow; etag: string };
}

/** Key of one (image, tag); `*` for the whole image. */
export function windowKey(imageId: string, tag: string | undefined): string {
  return `${imageId}|${tag ?? '*'}`;
}

/** Conflicting writes retried before giving up (each retry follows another instance's success). */
const MAX_ATTEMPTS = 8;

/** Decides one request (see the module header); `claim` is set when this call sent or scheduled a detect. */
export async function coalesceDetect(state: StateStore, request: { imageId: string; tag?: string; now: Date; windowMs: number }): Promise<{ decision: CoalescedDetect; claim?: CoalescingClaim }> {
  const { imageId, tag, now, windowMs } = request;
  const key = windowKey(imageId, tag);
  for (let attempt = 1; ; attempt++) {
    const current = await state.get<DetectWindow>('detect-window', key);
    const end = current ? Date.parse(current.value.start) + windowMs : -Infinity;
    try {
      if (!current || !(now.getTime() < end)) {
        const value: DetectWindow = { imageId, tag, start: now.toISOString() };
        const etag = await state.put('detect-window', key, value, current ? { etag: current.etag } : { ifAbsent: true });
        return { decision: { send: 'now' }, claim: { key, etag, previous: current } };
      }
      if (current.value.trailingAt === undefined) {
        const at = new Date(end).toISOString();
        const etag = await state.put('detect-window', key, { ...current.value, trailingAt: at }, { etag: current.etag });
        return { decision: { send: 'delayed', delaySeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)), at }, claim: { key, etag, previous: current } };
      }
      return { decision: { send: 'none', coveredBy: current.value.trailingAt } };
    } catch (err) {
      if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT') || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Gives a claim back after its detect could not be sent, unless another request moved the window on since. */
export async function releaseCoalescing(state: StateStore, claim: CoalescingClaim): Promise<void> {
  try {
    if (claim.previous) await state.put('detect-window', claim.key, claim.previous.value, { etag: claim.etag });
    else {
      const current = await state.get<DetectWindow>('detect-window', claim.key);
      if (current?.etag === claim.etag) await state.delete('detect-window', claim.key);
    }
  } catch (err) {
    // Moved on: the window that is there now has its own detect; this one simply expires.
    if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT')) throw err;
  }
}
