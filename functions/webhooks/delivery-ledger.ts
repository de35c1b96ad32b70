/**
 * The webhook deliveries already received, kept in the StateStore (kind `delivery`) so that every
 * instance of the app recognises a duplicate, not only the one that saw the original (issue #15:
 * every sender kind, by the id it gives a delivery: the generic `X-Basegate-Delivery`, an ACR
 * event id, an Event Grid event id, Docker Hub's callback URL with the push time).
 *
 * Records are keyed by a time bucket as wide as the retention: `<bucket>.<sender>:<id>`. A claim
 * creates the record in its own bucket and in the next one, each with `ifAbsent`; any copy of the
 * delivery within one retention of the first shares a bucket with it, so of two copies racing
 * exactly one creates the shared record and wins. Pruning lists only the buckets that have
 * expired, a bounded page at a time (a key range, not the whole ledger), at most once a minute per
 * instance: a flood of deliveries never makes each request read the ledger.
 */
import { createHash } from 'node:crypto';
import { BasegateError } from '../errors';
import type { StateStore } from '../pipeline/ports';
import { MAX_DELIVERY_AGE_MS } from './generic-signature';
import type { WebhookSender } from './push-event';

/** A delivery seen (kind `delivery`, key {@link ledgerKey}). */
export interface DeliveryRecord {
  sender: WebhookSender;
  deliveryId: string;
  receivedAt: string;
}

/** What a claim found: the first receipt, or a duplicate of one. */
export type DeliveryClaim = { claimed: true } | { claimed: false; receivedAt?: string };

/**
 * How long a delivery is remembered at least (twice, at most): the generic freshness window
 * either way. Past it, the signed timestamp alone refuses a generic replay, and a late duplicate
 * from another sender is absorbed by detect coalescing.
 */
const RETENTION_MS = 2 * MAX_DELIVERY_AGE_MS;
/** Deletions per prune, so one request never pays for a long backlog. */
const PRUNE_BATCH = 50;
/** Pruning runs at most this often per store and instance. */
const PRUNE_INTERVAL_MS = 60_000;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id as stored: itself when short and plain, else its SHA-256 (sender ids are not ours to trust). */
function storedId(deliveryId: string): string {
  return ID.test(deliveryId) ? deliveryId : `sha256-${createHash('sha256').update(deliveryId).digest('hex')}`;
}

function bucketOf(time: Date): number {
  return Math.floor(time.getTime() / RETENTION_MS);
}

/** Zero-padded so that key order is bucket order (a ListRange prefix). */
function bucketPrefix(bucket: number): string {
  return String(bucket).padStart(10, '0');
}

/** Key of a delivery in one bucket. */
export function ledgerKey(bucket: number, sender: WebhookSender, deliveryId: string): string {
  return `${bucketPrefix(bucket)}.${sender}:${storedId(deliveryId)}`;
}

/** Records the delivery as received at `now`; says whether this is the first receipt (and, with `readFirst`, when that was). */
export async function claimDelivery(state: StateStore, sender: WebhookSender, deliveryId: string, now: Date, options: { readFirst?: boolean } = {}): Promise<DeliveryClaim> {
  const record: DeliveryRecord = { sender, deliveryId: deliveryId.slice(0, 300), receivedAt: now.toISOString() };
  const bucket = bucketOf(now);
  for (const b of [bucket, bucket + 1]) {
    try {
      await state.put('delivery', ledgerKey(b, sender, deliveryId), record, { ifAbsent: true });
    } catch (err) {
      if (!(err instanceof BasegateError && err.code === 'STATE_CONFLICT')) throw err;
      // A duplicate in a flood costs one conditional write; reading when is only worth it for a message.
      if (!options.readFirst) return { claimed: false };
      const seen = await state.get<DeliveryRecord>('delivery', ledgerKey(b, sender, deliveryId));
      return { claimed: false, receivedAt: seen?.value.receivedAt };
    }
  }
  return { claimed: true };
}

/** Forgets a delivery claimed at `claimedAt` whose work failed, so the sender's retry goes through. */
export async function releaseDelivery(state: StateStore, sender: WebhookSender, deliveryId: string, claimedAt: Date): Promise<void> {
  const bucket = bucketOf(claimedAt);
  for (const b of [bucket, bucket + 1]) await state.delete('delivery', ledgerKey(b, sender, deliveryId));
}

const lastPrune = new WeakMap<StateStore, number>();

/** Deletes up to one batch of expired records (buckets before the previous one); returns how many, 0 when it ran too recently. */
export async function pruneDeliveries(state: StateStore, now: Date): Promise<number> {
  if (now.getTime() - (lastPrune.get(state) ?? -Infinity) < PRUNE_INTERVAL_MS) return 0;
  lastPrune.set(state, now.getTime());
  const expired = await state.list<DeliveryRecord>('delivery', { before: bucketPrefix(bucketOf(now) - 1), limit: PRUNE_BATCH });
  for (const r of expired) await state.delete('delivery', r.key);
  return expired.length;
}

/** Pushes whose delivery was seen before are dropped; `release` forgets what this call claimed (its work failed). */
export async function claimPushes<P extends { deliveryId?: string; sender: WebhookSender; registry: string; repository: string; tag?: string }>(
  state: StateStore,
  pushes: readonly P[],
  now: Date,
): Promise<{ fresh: P[]; duplicates: Array<{ event: string; reason: string }>; release(): Promise<void> }> {
  const fresh: P[] = [];
  const duplicates: Array<{ event: string; reason: string }> = [];
  const decided = new Map<string, boolean>();
  const claimed: Array<{ sender: WebhookSender; id: string }> = [];
  for (const push of pushes) {
    if (push.deliveryId === undefined) {
      fresh.push(push);
      continue;
    }
    const key = `${push.sender}\n${push.deliveryId}`;
    let isNew = decided.get(key);
    if (isNew === undefined) {
      const claim = await claimDelivery(state, push.sender, push.deliveryId, now);
      isNew = claim.claimed;
      decided.set(key, isNew);
      if (claim.claimed) claimed.push({ sender: push.sender, id: push.deliveryId });
      else duplicates.push({ event: `${push.sender} ${push.registry}/${push.repository}${push.tag ? `:${push.tag}` : ''}`.slice(0, 300), reason: `duplicate delivery: already received${claim.receivedAt ? ` at ${claim.receivedAt}` : ''}; nothing is requested twice` });
    }
    if (isNew) fresh.push(push);
  }
  return { fresh, duplicates, release: async () => { for (const c of claimed) await releaseDelivery(state, c.sender, c.id, now); } };
}
