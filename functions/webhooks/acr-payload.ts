/**
 * ACR webhooks (https://learn.microsoft.com/azure/container-registry/container-registry-webhook-reference).
 * Only `push` leads anywhere; `delete`, `chart_*`, `quarantine` and the `ping` that
 * `az acr webhook ping` sends are acknowledged and ignored. The registry is `request.host`, the
 * login server the client pushed to.
 */
import type { z } from 'zod';
import { checkPayload, type PushEvent, type WebhookDelivery } from './push-event';
import { acrEventSchema, acrPushSchema } from './schema';

/** What the ACR endpoint expects, for error messages. */
export const ACR_EXPECTED = 'an ACR webhook event ({"action": "push", "target": {"repository", "tag"}, "request": {"host"}})';

/** Reduces an ACR webhook event to its push, or to the reason it is ignored. */
export function parseAcrEvent(json: unknown): WebhookDelivery {
  const event = checkPayload(acrEventSchema, json, ACR_EXPECTED);
  if (event.action !== 'push') return { pushes: [], ignored: [{ event: `acr ${event.action}`, reason: 'only push events trigger a detect' }] };
  return { pushes: [acrPush('acr', checkPayload(acrPushSchema, json, ACR_EXPECTED), event.id)], ignored: [] };
}

/** A push event from an ACR push body (webhook body, or Event Grid ImagePushed `data`); `deliveryId` is the event's id. */
export function acrPush(sender: PushEvent['sender'], push: z.output<typeof acrPushSchema>, deliveryId: string | undefined): PushEvent {
  return { sender, registry: push.request.host, repository: push.target.repository, tag: push.target.tag, digest: push.target.digest, deliveryId };
}
