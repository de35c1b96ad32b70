/**
 * The common end of every webhook (issue #15): keep the pushes the sender may report on
 * (webhooks/sender-registries.ts), drop deliveries already received (webhooks/delivery-ledger.ts),
 * match the rest to tracked images, and request one coalesced detect per (image, tag)
 * (request-detects.ts). Nothing is fetched here or for an ignored push; the response lists what
 * was accepted (with correlation ids, or the detect that covers it) and what was ignored and why.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { describeError } from '../../errors';
import { claimPushes, pruneDeliveries } from '../../webhooks/delivery-ledger';
import { matchPushes } from '../../webhooks/match-tracked';
import type { WebhookDelivery, WebhookSender } from '../../webhooks/push-event';
import { allowedPushes } from '../../webhooks/sender-registries';
import { jsonResponse } from './http-response';
import type { HttpRuntime } from './register-http-routes';
import { requestDetects } from './request-detects';

/** Requests the detects a delivery asks for; answers 202. */
export async function enqueueChecks(delivery: WebhookDelivery, sender: WebhookSender, runtime: HttpRuntime, context: InvocationContext): Promise<HttpResponseInit> {
  const now = runtime.clock.now();
  const allowed = allowedPushes(delivery.pushes, runtime.senderRegistries);
  // Only deliveries that would ask for something are remembered: ignored ones cost no state.
  const perPush = allowed.pushes.map((push) => ({ push, match: matchPushes(runtime.images, [push]) }));
  const relevant = perPush.filter((x) => x.match.checks.length > 0).map((x) => x.push);
  const unmatched = perPush.flatMap((x) => (x.match.checks.length > 0 ? [] : x.match.ignored));
  const claimed = await claimPushes(runtime.state, relevant, now);
  const matched = matchPushes(runtime.images, claimed.fresh);
  const ignored = [...delivery.ignored, ...allowed.ignored, ...unmatched, ...claimed.duplicates, ...matched.ignored];
  for (const i of ignored) context.log('webhook: event ignored', { sender, event: i.event, reason: i.reason });
  let detects;
  try {
    detects = await requestDetects(runtime, matched.checks, `webhook:${sender}`, context);
  } catch (err) {
    await claimed.release().catch((e) => context.warn('webhook: releasing claimed deliveries failed', { error: describeError(e) }));
    throw err;
  }
  // Housekeeping: its failure must not turn requested detects into an error the sender retries.
  await pruneDeliveries(runtime.state, now).catch((err) => context.warn('webhook: pruning old deliveries failed', { error: describeError(err) }));
  const accepted = detects.map((d, i) => ({ ...d, reference: matched.checks[i].reference }));
  return jsonResponse(202, { accepted, ignored });
}
