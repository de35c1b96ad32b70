/**
 * `OPTIONS|POST /api/webhooks/eventgrid`: Event Grid deliveries of `Microsoft.ContainerRegistry.ImagePushed`
 * in the Event Grid or the CloudEvents 1.0 schema, and both subscription handshakes (OPTIONS for
 * CloudEvents, the validation event for the Event Grid schema). Event Grid signs nothing: the
 * function key in the subscription's endpoint URL (`?code=`) authorises it.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { webhookValidationHeaders } from '../../webhooks/abuse-protection';
import { EVENT_GRID_EXPECTED, parseEventGridDelivery } from '../../webhooks/event-grid-payload';
import { enqueueChecks } from './enqueue-checks';
import { jsonResponse, respond } from './http-response';
import { readJson } from './read-json';
import type { HttpRuntime } from './register-http-routes';

/** Handles one Event Grid request: handshake or events. */
export async function eventGridWebhook(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    if (request.method === 'OPTIONS') {
      const headers = webhookValidationHeaders(request.headers.get('webhook-request-origin'), request.headers.get('webhook-request-rate'));
      context.log('webhook: CloudEvents subscription validated', { origin: headers['WebHook-Allowed-Origin'] });
      return jsonResponse(200, { allowedOrigin: headers['WebHook-Allowed-Origin'] }, headers);
    }
    const delivery = parseEventGridDelivery(await readJson(request, EVENT_GRID_EXPECTED));
    if (delivery.kind === 'validation') {
      context.log('webhook: Event Grid subscription validated', {});
      return jsonResponse(200, { validationResponse: delivery.validationCode });
    }
    return enqueueChecks(delivery, 'eventgrid', runtime, context);
  });
}
