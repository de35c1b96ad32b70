/**
 * The deliveries of signed webhooks already received, kept in the StateStore (kind `delivery`) so
 * that every instance of the app refuses a replay, not only the one that saw the original.
 * A delivery is claimed with a conditional create before anything is enqueued (two copies racing
 * cannot both win) and released if enqueueing fails, so the sender's retry is not refused.
 * Records outlive the freshness window twice over (a timestamp may be ahead by up to the window),
 * then are pruned: past that, the timestamp check alone refuses the replay.
 */
import { BasegateError } from '../errors';
import type { StateStore } from '../pipeline/ports';
import { MAX_DELIVERY_AGE_MS } from './generic-signature';
import { conflict } from './request-rejected';
import type { WebhookSender } from './push-event';

/** A delivery seen (kind `delivery`, key `<sender>:<delivery id>`). */
export interface DeliveryRecord {
  sender: WebhookSender;
  deliveryId: string;
  receivedAt: string;
}

/** How long a delivery is remembered: the freshness window either way. */
const DELIVERY_RETENTION_MS = 2 * MAX_DELIVERY_AGE_MS;
/** Deletions per prune, so one request never pays for a long backlog. */
const PRUNE_BATCH = 50;

function key(sender: WebhookSender, deliveryId: string): string {
  return `${sender}:${deliveryId}`;
}

/** Records the delivery as received; a 409 `WEBHOOK_REPLAYED` when it already was. */
export async function claimDelivery(state: StateStore, sender: WebhookSender, deliveryId: string, now: Date): Promise<void> {
  const record: DeliveryRecord = { sender, deliveryId, receivedAt: now.toISOString() };
  try {
    await state.put('delivery', key(sender, deliveryId), record, { ifAbsent: true });
  } catch (err) {
    if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT')) throw err;
    const seen = await state.get<DeliveryRecord>('delivery', key(sender, deliveryId));
    throw conflict('WEBHOOK_REPLAYED', `delivery ${deliveryId} was already received${seen ? ` at ${seen.value.receivedAt}` : ''}; a replayed delivery is refused (send a new X-Basegate-Delivery id for a new request)`);
  }
}

/** Forgets a claimed delivery whose work failed, so the sender may retry it. */
export async function releaseDelivery(state: StateStore, sender: WebhookSender, deliveryId: string): Promise<void> {
  await state.delete('delivery', key(sender, deliveryId));
}

/** Deletes deliveries older than the retention; returns how many. */
export async function pruneDeliveries(state: StateStore, now: Date): Promise<number> {
  const cutoff = now.getTime() - DELIVERY_RETENTION_MS;
  const expired = (await state.list<DeliveryRecord>('delivery')).filter((r) => !(Date.parse(r.value.receivedAt) >= cutoff)).slice(0, PRUNE_BATCH);
  for (const r of expired) await state.delete('delivery', r.key);
  return expired.length;
}
