/**
 * CloudEvents 1.0 webhook abuse protection (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/http-webhook.md#4-abuse-protection),
 * which Event Grid uses instead of its validation event for CloudEvents subscriptions: an HTTP
 * OPTIONS with `WebHook-Request-Origin` (Event Grid sends `eventgrid.azure.net`), answered with
 * `WebHook-Allowed-Origin` naming it. The handshake protects the sender from pushing to an
 * unwilling endpoint; it authenticates nothing (the function key does).
 */
import { badRequest } from './request-rejected';

/** A DNS name (optionally with a port) or `*`: anything else is not an origin and never goes back out in a header. */
const ORIGIN = /^(\*|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?(?::\d{1,5})?)$/;

/** The response headers that grant delivery to the requesting origin; a 400 when the request is not a validation request. */
export function webhookValidationHeaders(origin: string | null, requestRate: string | null): Record<string, string> {
  if (origin === null || origin.trim() === '') {
    throw badRequest('WEBHOOK_ORIGIN_MISSING', 'OPTIONS is the CloudEvents abuse-protection handshake: expected a WebHook-Request-Origin header (Event Grid sends eventgrid.azure.net)');
  }
  const value = origin.trim();
  if (!ORIGIN.test(value)) throw badRequest('WEBHOOK_ORIGIN_INVALID', `WebHook-Request-Origin ${JSON.stringify(value.slice(0, 100))} is not a DNS name`);
  const headers: Record<string, string> = { 'WebHook-Allowed-Origin': value, Allow: 'POST, OPTIONS' };
  // Any rate: a delivery only enqueues a detect. Sent when asked, as the spec requires.
  if (requestRate !== null) headers['WebHook-Allowed-Rate'] = '*';
  return headers;
}
