/**
 * Sends the detects that webhooks and `POST /api/images/{image}/check` ask for, coalesced per
 * (image, tag) across instances (pipeline/detect-coalescing.ts): now, with a delay to the end of
 * the window, or not at all when a detect already scheduled covers the request. If a send fails,
 * what this request claimed is given back and the error propagates (a 503 the sender retries).
 */
import { randomUUID } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import { coalesceDetect, releaseCoalescing, type CoalescingClaim } from '../../pipeline/detect-coalescing';
import type { HttpRuntime } from './register-http-routes';

/** How one requested detect went. */
export interface DetectRequested {
  imageId: string;
  tag: string | null;
  /** `now`: sent; `delayed`: sent, visible at `at`; `coalesced`: the detect scheduled for `at` covers it. */
  detect: 'now' | 'delayed' | 'coalesced';
  /** Set when this request sent a message. */
  correlationId: string | null;
  at?: string;
}

/** Requests one detect per (image, tag), coalesced. */
export async function requestDetects(runtime: HttpRuntime, checks: ReadonlyArray<{ imageId: string; tag: string | undefined }>, reason: string, context: InvocationContext): Promise<DetectRequested[]> {
  const done: DetectRequested[] = [];
  const claims: CoalescingClaim[] = [];
  try {
    for (const { imageId, tag } of checks) {
      const { decision, claim } = await coalesceDetect(runtime.state, { imageId, tag, now: runtime.clock.now(), windowMs: runtime.webhooks.coalesceWindowMs });
      if (claim) claims.push(claim);
      if (decision.send === 'none') {
        done.push({ imageId, tag: tag ?? null, detect: 'coalesced', correlationId: null, at: decision.coveredBy });
        continue;
      }
      const correlationId = randomUUID();
      const delaySeconds = decision.send === 'delayed' ? decision.delaySeconds : undefined;
      await runtime.requestCheck({ imageId, tag, reason, correlationId, delaySeconds });
      done.push({ imageId, tag: tag ?? null, detect: decision.send, correlationId, ...(decision.send === 'delayed' ? { at: decision.at } : {}) });
    }
  } catch (err) {
    for (const claim of claims.reverse()) await releaseCoalescing(runtime.state, claim).catch(() => undefined);
    throw err;
  }
  for (const d of done) context.log('detect: requested', { reason, imageId: d.imageId, tag: d.tag ?? '*', detect: d.detect, correlationId: d.correlationId, at: d.at });
  return done;
}
