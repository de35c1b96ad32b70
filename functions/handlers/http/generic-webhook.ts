/**
 * `POST /api/webhooks/generic`: a signed request for a detect (functions/webhooks/generic-signature.ts).
 * Order: bounded body, signature and freshness (401, against the generic secret only, or its
 * previous value during a rotation), JSON and payload (400), then the delivery is claimed in state
 * (409 when it was already received) before anything is enqueued, and released again if
 * enqueueing fails so that the sender's retry goes through.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { parseJsonBody } from '../../webhooks/bounded-body';
import { claimDelivery, releaseDelivery } from '../../webhooks/delivery-ledger';
import { GENERIC_EXPECTED, parseGenericPush } from '../../webhooks/generic-payload';
import { genericDeliveryHeaders, verifyGenericDelivery } from '../../webhooks/generic-signature';
import { conflict } from '../../webhooks/request-rejected';
import { enqueueChecks } from './enqueue-checks';
import { respond } from './http-response';
import { readBody } from './read-json';
import type { HttpRuntime } from './register-http-routes';

/** Handles one generic webhook delivery. */
export async function genericWebhook(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const body = await readBody(request);
    const now = runtime.clock.now();
    const deliveryId = verifyGenericDelivery(body, genericDeliveryHeaders((name) => request.headers.get(name)), await runtime.webhookSecret('generic'), now);
    const delivery = parseGenericPush(parseJsonBody(body, GENERIC_EXPECTED));
    const claim = await claimDelivery(runtime.state, 'generic', deliveryId, now, { readFirst: true });
    if (!claim.claimed) {
      throw conflict('WEBHOOK_REPLAYED', `delivery ${deliveryId} was already received${claim.receivedAt ? ` at ${claim.receivedAt}` : ''}; a replayed delivery is refused (send a new X-Basegate-Delivery id for a new request)`);
    }
    try {
      return await enqueueChecks(delivery, 'generic', runtime, context);
    } catch (err) {
      await releaseDelivery(runtime.state, 'generic', deliveryId, now);
      throw err;
    }
  });
}
