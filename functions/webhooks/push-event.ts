/** What every webhook sender's payload is reduced to before anything else looks at it. */
import type { z } from 'zod';
import { badRequest } from './request-rejected';

/** The senders basegate has an endpoint for. */
export type WebhookSender = 'dockerhub' | 'acr' | 'eventgrid' | 'generic';

/** A push the sender reported: a registry host and repository as the sender spelt them, not yet matched. */
export interface PushEvent {
  sender: WebhookSender;
  /** Host as sent (`docker.io`, `myregistry.azurecr.io`); aliases are resolved when matching. */
  registry: string;
  repository: string;
  /** Absent when the push was by digest only. */
  tag?: string;
  digest?: string;
  /** The sender asks for every tracked tag of the image (a generic delivery without a tag). */
  wholeImage?: boolean;
  /** The sender's id of the delivery or event this push came in, when it gives one: duplicates are dropped by it (delivery-ledger.ts). */
  deliveryId?: string;
}

/** An event in a delivery that basegate deliberately does nothing with, and why. */
export interface IgnoredEvent {
  event: string;
  reason: string;
}

/** A delivery reduced to the pushes to consider and the events ignored. */
export interface WebhookDelivery {
  pushes: PushEvent[];
  ignored: IgnoredEvent[];
}

/** Checks `value` against `schema`; a 400 listing each problem by path (and what was expected) when it does not fit. */
export function checkPayload<T extends z.ZodType>(schema: T, value: unknown, expected: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`);
  throw badRequest('PAYLOAD_INVALID', `payload is not ${expected}: ${problems.join('; ')}`);
}
