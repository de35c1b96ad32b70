/**
 * Schemas of the webhook bodies basegate accepts, keeping only the fields it reads (unknown
 * fields are ignored, never walked). Strings are bounded: a reference component is at most 255
 * characters (distribution/reference), a tag 128.
 */
import { z } from 'zod';

const repository = z.string().min(1).max(255);
const tag = z.string().min(1).max(128);
const host = z.string().min(1).max(255);
const digest = z.string().min(1).max(200);

/**
 * Docker Hub repository webhook (https://docs.docker.com/docker-hub/repos/manage/webhooks/):
 * one kind of event, a push; no signature, no event type. `callback_url` is never fetched.
 */
export const dockerHubPushSchema = z.object({
  push_data: z.object({ tag, pushed_at: z.number().optional() }),
  repository: z.object({ repo_name: repository }),
  callback_url: z.string().max(2048).optional(),
});

/** The part of an ACR push event basegate reads: the same in ACR webhooks and in Event Grid's `data`. */
export const acrPushSchema = z.object({
  action: z.literal('push'),
  target: z.object({ repository, tag: tag.optional(), digest: digest.optional() }),
  request: z.object({ host }),
});

/**
 * ACR webhook (https://learn.microsoft.com/azure/container-registry/container-registry-webhook-reference):
 * `action` is push, delete, chart_push, chart_delete, quarantine, or ping from `az acr webhook ping`.
 */
export const acrEventSchema = z.object({ id: z.string().max(200).optional(), action: z.string().max(64) });

/** One event in the Event Grid schema (https://learn.microsoft.com/azure/event-grid/event-schema). */
export const eventGridEventSchema = z.object({
  id: z.string().max(200),
  topic: z.string().max(1024).optional(),
  eventType: z.string().max(200),
  subject: z.string().max(1024).optional(),
  data: z.unknown(),
});

/** One event in the CloudEvents 1.0 JSON format (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md). */
export const cloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().max(200),
  type: z.string().max(200),
  source: z.string().max(1024),
  data: z.unknown().optional(),
});

/** `data` of `Microsoft.EventGrid.SubscriptionValidationEvent` (https://learn.microsoft.com/azure/event-grid/end-point-validation-event-grid-events-schema). */
export const subscriptionValidationSchema = z.object({ validationCode: z.string().min(1).max(200) });

/**
 * basegate's own generic webhook: `image` is a reference (`docker.io/library/node:20-alpine`,
 * tag optional); `tag` overrides the reference's tag. basegate's outgoing `base-image-promoted`
 * event has this shape, so one basegate can chain into another; its `target` (the promoted copy,
 * pinned) is read too, because a downstream basegate tracks that copy, not the upstream image.
 */
export const genericPushSchema = z.object({
  image: z.string().min(1).max(512),
  tag: tag.optional(),
  digest: digest.optional(),
  event: z.string().max(64).optional(),
  target: z.string().min(1).max(1024).optional(),
});
