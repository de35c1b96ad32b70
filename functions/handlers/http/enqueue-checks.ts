/**
 * The common end of every webhook: match the reported pushes to tracked images and enqueue one
 * detect per (image, tag). Nothing is fetched here or for an ignored push; the response lists
 * what was accepted (with correlation ids) and what was ignored and why.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { matchPushes } from '../../webhooks/match-tracked';
import type { WebhookDelivery, WebhookSender } from '../../webhooks/push-event';
import { jsonResponse } from './http-response';
import type { HttpRuntime } from './register-http-routes';

/** Enqueues the detects a delivery asks for; answers 202. */
export async function enqueueChecks(delivery: WebhookDelivery, sender: WebhookSender, runtime: HttpRuntime, context: InvocationContext): Promise<HttpResponseInit> {
  const { checks, ignored } = matchPushes(runtime.images, delivery.pushes);
  const allIgnored = [...delivery.ignored, ...ignored];
  for (const i of allIgnored) context.log('webhook: event ignored', { sender, event: i.event, reason: i.reason });
  const accepted = [];
  for (const check of checks) {
    const correlationId = randomUUID();
    await runtime.requestCheck({ imageId: check.imageId, tag: check.tag, reason: `webhook:${sender}`, correlationId });
    context.log('webhook: detect requested', { sender, imageId: check.imageId, tag: check.tag ?? '*', reference: check.reference, correlationId });
    accepted.push({ imageId: check.imageId, tag: check.tag ?? null, reference: check.reference, correlationId });
  }
  return jsonResponse(202, { accepted, ignored: allIgnored });
}
