/**
 * Event Grid deliveries of ACR events, in either output schema of the subscription:
 * - Event Grid schema (https://learn.microsoft.com/azure/event-grid/event-schema): always an array
 *   of `{id, eventType, subject, data, ...}`; the subscription is validated by a
 *   `Microsoft.EventGrid.SubscriptionValidationEvent` whose `data.validationCode` is echoed back as
 *   `{validationResponse}` (https://learn.microsoft.com/azure/event-grid/end-point-validation-event-grid-events-schema).
 *   `data.validationUrl` is never fetched: the synchronous echo is enough, and basegate contacts nothing.
 * - CloudEvents 1.0 (https://learn.microsoft.com/azure/event-grid/webhook-event-delivery): one event
 *   per request (`application/cloudevents+json`) or a batch array; validated by an HTTP OPTIONS
 *   handshake instead (abuse-protection.ts).
 * `Microsoft.ContainerRegistry.ImagePushed` carries the same `data` as an ACR webhook push
 * (https://learn.microsoft.com/azure/event-grid/event-schema-container-registry).
 */
import { acrPush } from './acr-payload';
import { checkPayload, type IgnoredEvent, type PushEvent, type WebhookDelivery } from './push-event';
import { badRequest } from './request-rejected';
import { acrPushSchema, cloudEventSchema, eventGridEventSchema, subscriptionValidationSchema } from './schema';

const IMAGE_PUSHED = 'Microsoft.ContainerRegistry.ImagePushed';
const SUBSCRIPTION_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** What the Event Grid endpoint expects, for error messages. */
export const EVENT_GRID_EXPECTED = `Event Grid events (an array of {"id", "eventType", "data"}) or CloudEvents 1.0 ({"specversion": "1.0", "id", "type", "source", "data"}) of type ${IMAGE_PUSHED}`;

/** A delivery: the subscription handshake, or events. */
export type EventGridDelivery = { kind: 'validation'; validationCode: string } | ({ kind: 'events' } & WebhookDelivery);

interface Envelope {
  id: string;
  /** The event's publisher (`topic` / CloudEvents `source`): an event id is unique per publisher. */
  source: string | undefined;
  type: string;
  data: unknown;
}

/** Reads a delivery in either schema. */
export function parseEventGridDelivery(json: unknown): EventGridDelivery {
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw badRequest('PAYLOAD_INVALID', `payload is an empty array; expected ${EVENT_GRID_EXPECTED}`);
  const events = list.map((item, i) => envelope(item, list.length > 1 ? `event [${i}]` : 'event'));
  const validation = events.find((e) => e.type === SUBSCRIPTION_VALIDATION);
  if (validation) {
    if (events.length !== 1) throw badRequest('PAYLOAD_INVALID', `a ${SUBSCRIPTION_VALIDATION} comes alone; this delivery has ${events.length} events`);
    const data = checkPayload(subscriptionValidationSchema, validation.data, `${SUBSCRIPTION_VALIDATION} data ({"validationCode"})`);
    return { kind: 'validation', validationCode: data.validationCode };
  }
  const pushes: PushEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  for (const [i, e] of events.entries()) {
    if (e.type !== IMAGE_PUSHED) {
      ignored.push({ event: `eventgrid ${e.type} ${e.id}`, reason: `only ${IMAGE_PUSHED} triggers a detect` });
      continue;
    }
    pushes.push(acrPush('eventgrid', checkPayload(acrPushSchema, e.data, `${IMAGE_PUSHED} data of event [${i}] (ACR push: target.repository, target.tag, request.host)`), `${e.source ?? ''}|${e.id}`));
  }
  return { kind: 'events', pushes, ignored };
}

/** The schema-independent part of one event. */
function envelope(item: unknown, where: string): Envelope {
  if (item !== null && typeof item === 'object' && 'specversion' in item) {
    const e = checkPayload(cloudEventSchema, item, `a CloudEvents 1.0 ${where}`);
    return { id: e.id, source: e.source, type: e.type, data: e.data };
  }
  const e = checkPayload(eventGridEventSchema, item, `an Event Grid ${where} ({"id", "eventType", "data"})`);
  return { id: e.id, source: e.topic, type: e.eventType, data: e.data };
}
