/**
 * `POST /api/webhooks/generic`: a signed request for a detect (functions/webhooks/generic-signature.ts).
 * Order: bounded body, signature and freshness (401), JSON and payload (400), then the delivery
 * is claimed in state (409 when it was already received) before anything is enqueued, and
 * released again if enqueueing fails so that the sender's retry goes through.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { describeError } from '../../errors';
import { parseJsonBody } from '../../webhooks/bounded-body';
import { claimDelivery, pruneDeliveries, releaseDelivery } from '../../webhooks/delivery-ledger';
import { GENERIC_EXPECTED, parseGenericPush } from '../../webhooks/generic-payload';
import { genericDeliveryHeaders, verifyGenericDelivery } from '../../webhooks/generic-signature';
import { enqueueChecks } from './enqueue-checks';
import { respond } from './http-response';
import { readBody } from './read-json';
import type { HttpRuntime } from './register-http-routes';

/** Handles one generic webhook delivery. */
export async function genericWebhook(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const body = await readBody(request);
    const now = runtime.clock.now();
    const deliveryId = verifyGenericDelivery(body, genericDeliveryHeaders((name) => request.headers.get(name)), runtime.webhookSecrets.generic, now);
    const delivery = parseGenericPush(parseJsonBody(body, GENERIC_EXPECTED));
    await claimDelivery(runtime.state, 'generic', deliveryId, now);
    let response: HttpResponseInit;
    try {
      response = await enqueueChecks(delivery, 'generic', runtime, context);
    } catch (err) {
      await releaseDelivery(runtime.state, 'generic', deliveryId);
      throw err;
    }
    // Housekeeping: its failure must not turn an enqueued detect into an error the sender retries.
    await pruneDeliveries(runtime.state, now).catch((err) => context.warn('webhook: pruning old deliveries failed', { error: describeError(err) }));
    return response;
  });
}
