/**
 * The registry client's events (oci/registry/events.ts) as metrics: every exchange counted by
 * host, method and status (`basegate_registry_requests_total`), every rate-limit reading kept
 * (`basegate_ratelimit_remaining`). URLs are already redacted; only the host is kept.
 */
import type { RegistryEventListener } from '../oci/registry/events';
import { recordRateLimitRemaining, recordRegistryRequest } from './metrics';

/** A listener that records registry metrics, then hands the event on to `next` (when given). */
export function registryMetrics(next?: RegistryEventListener): RegistryEventListener {
  return (event) => {
    if (event.type === 'request') recordRegistryRequest(hostOf(event.url), event.method, event.status);
    else if (event.type === 'rateLimit') recordRateLimitRemaining(event.host, event.remaining);
    next?.(event);
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unknown';
  }
}
