/**
 * The `webhooks:` section of basegate.yaml (docs/configuration.md, "webhooks"): how inbound
 * webhook deliveries may ask for detects (issue #15). Every key is optional; the defaults are in
 * resolve-webhooks.ts.
 */
import { z } from 'zod';
import { durationField, hostField } from './schema-fields';

/** The registries one sender kind may report pushes for. */
const senderSchema = z.strictObject({
  registries: z.array(hostField).min(1),
});

export const webhooksSchema = z.strictObject({
  /** Detect requests for one (image, tag) within this window become at most one now and one at its end. */
  coalesceWindow: durationField.optional(),
  acr: senderSchema.optional(),
  eventgrid: senderSchema.optional(),
  generic: senderSchema.optional(),
});
