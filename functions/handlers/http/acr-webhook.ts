/**
 * `POST /api/webhooks/acr`: an ACR webhook event. ACR sends the custom headers its webhook was
 * created with, so the secret is `Authorization: Bearer <secret>`
 * (`az acr webhook create ... --headers "Authorization=Bearer <secret>"`), or `X-Basegate-Secret`.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ACR_EXPECTED, parseAcrEvent } from '../../webhooks/acr-payload';
import { bearerToken, checkSharedSecret, SECRET_HEADER } from '../../webhooks/shared-secret';
import { enqueueChecks } from './enqueue-checks';
import { respond } from './http-response';
import { readJson } from './read-json';
import type { HttpRuntime } from './register-http-routes';

/** Handles one ACR webhook delivery (push, or a ping/delete that is acknowledged and ignored). */
export async function acrWebhook(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const given = bearerToken(request.headers.get('authorization')) ?? request.headers.get(SECRET_HEADER) ?? undefined;
    checkSharedSecret('acr', given, await runtime.webhookSecret('acr'), 'an Authorization: Bearer <secret> header (or X-Basegate-Secret)');
    const delivery = parseAcrEvent(await readJson(request, ACR_EXPECTED));
    return enqueueChecks(delivery, 'acr', runtime, context);
  });
}
