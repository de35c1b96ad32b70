/**
 * Resolves the `webhooks:` section (webhooks-schema.ts) into {@link WebhooksConfig}: the coalescing
 * window and, per sender kind, the registries it may report on. Defaults, and why:
 * - `coalesceWindow` 60 s (issue #15): a burst of deliveries for one tag (a forged flood, or a
 *   registry retrying) costs at most two detects a minute, and one that moves twice in a minute
 *   still ends at its final digest;
 * - Docker Hub reports on `docker.io` only (its payload names no host: it cannot mean another);
 * - ACR webhooks and Event Grid report on their own registry: an Azure Container Registry login
 *   server, so by default the tracked sources hosted on ACR, never docker.io or another host;
 * - the generic webhook is HMAC-signed by a sender basegate trusts (CI, another basegate): any
 *   tracked source.
 */
import type { z } from 'zod';
import type { webhooksSchema } from './webhooks-schema';

/** Sender kinds whose registries are configurable. */
export type ConfigurableSender = 'acr' | 'eventgrid' | 'generic';

/** The resolved `webhooks:` section. */
export interface WebhooksConfig {
  /** Milliseconds of the per-(image, tag) detect coalescing window. */
  coalesceWindowMs: number;
  /** Registry hosts each sender may report on, as configured; undefined: the default rule. */
  registries: Partial<Record<ConfigurableSender, string[]>>;
}

export const WEBHOOK_DEFAULTS = {
  /** Issue #15: at most two detects per (image, tag) per minute whatever arrives. */
  coalesceWindowMs: 60_000,
} as const;

/** Applies the defaults of the module header. */
export function resolveWebhooks(doc: z.output<typeof webhooksSchema> | undefined): WebhooksConfig {
  const registries: WebhooksConfig['registries'] = {};
  for (const sender of ['acr', 'eventgrid', 'generic'] as const) {
    const listed = doc?.[sender]?.registries;
    if (listed) registries[sender] = listed.map((h) => h.toLowerCase());
  }
  return { coalesceWindowMs: doc?.coalesceWindow ?? WEBHOOK_DEFAULTS.coalesceWindowMs, registries };
}
