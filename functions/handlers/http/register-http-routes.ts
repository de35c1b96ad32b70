/**
 * The HTTP side of the Functions app (issue #7): every route with `authLevel: 'function'` (a
 * function key in `?code=` or `x-functions-key`); the webhooks check their sender's own secret on
 * top. The composition root builds the {@link HttpRuntime} (functions/app.ts passes a getter, so a
 * cold start builds it once, on first use); each handler is exported on its own so tests call it
 * with a real HttpRequest and InvocationContext. Contract: /tmp/contract-http.md.
 */
import type { app as FunctionsApp, HttpHandler, HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ConfiguredImage } from '../../config/tracked-images';
import { describeError } from '../../errors';
import type { Clock, StateStore } from '../../pipeline/ports';
import { acrWebhook } from './acr-webhook';
import { approvalDecision } from './approval-decision';
import { checkImage } from './check-image';
import { dockerHubWebhook } from './dockerhub-webhook';
import { eventGridWebhook } from './event-grid-webhook';
import { genericWebhook } from './generic-webhook';
import { jsonResponse } from './http-response';
import { status } from './status';

/** What the HTTP handlers need from the composition root. */
export interface HttpRuntime {
  /** The tracked images of the loaded config (functions/config/tracked-images.ts ConfiguredImage[]). */
  images: readonly ConfiguredImage[];
  state: StateStore;
  /** Enqueues a detect of one tracked image (every tracked tag when `tag` is undefined). */
  requestCheck(request: { imageId: string; tag?: string; reason: string; correlationId: string }): Promise<void>;
  /** Webhook secret per sender (today one Key Vault secret for all, BASEGATE_WEBHOOK_SECRET_URI: see ../http-runtime.ts); undefined = not configured. */
  webhookSecrets: { generic?: string; acr?: string; dockerhub?: string };
  clock: Clock;
}

/** An HTTP handler over the runtime. */
export type RuntimeHandler = (request: HttpRequest, context: InvocationContext, runtime: HttpRuntime) => Promise<HttpResponseInit>;

/** One route: the function name, its route under `/api`, methods and handler. */
interface HttpRoute {
  name: string;
  route: string;
  methods: HttpMethod[];
  handler: RuntimeHandler;
}

/** Every route the app serves. */
const HTTP_ROUTES: readonly HttpRoute[] = [
  { name: 'webhookDockerHub', route: 'webhooks/dockerhub', methods: ['POST'], handler: dockerHubWebhook },
  { name: 'webhookAcr', route: 'webhooks/acr', methods: ['POST'], handler: acrWebhook },
  // OPTIONS: the CloudEvents abuse-protection handshake Event Grid sends before delivering.
  { name: 'webhookEventGrid', route: 'webhooks/eventgrid', methods: ['POST', 'OPTIONS'], handler: eventGridWebhook },
  { name: 'webhookGeneric', route: 'webhooks/generic', methods: ['POST'], handler: genericWebhook },
  { name: 'checkImage', route: 'images/{image}/check', methods: ['POST'], handler: checkImage },
  { name: 'approvalDecision', route: 'approvals/{id}', methods: ['POST'], handler: approvalDecision },
  { name: 'status', route: 'status', methods: ['GET'], handler: status },
];

/** Registers every route on the Functions app; `runtime` is awaited per request (and cached by its owner). */
export function registerHttpRoutes(app: typeof FunctionsApp, runtime: () => Promise<HttpRuntime>): void {
  for (const route of HTTP_ROUTES) {
    app.http(route.name, { route: route.route, methods: route.methods, authLevel: 'function', handler: withRuntime(route.handler, runtime) });
  }
}

/** Adapts a runtime handler to the Functions signature; a runtime that cannot be built is a 503 naming why. */
function withRuntime(handler: RuntimeHandler, runtime: () => Promise<HttpRuntime>): HttpHandler {
  return async (request, context) => {
    let built: HttpRuntime;
    try {
      built = await runtime();
    } catch (err) {
      context.error('http: runtime unavailable', { error: describeError(err) });
      return jsonResponse(503, { error: `basegate is not ready: ${describeError(err)}; fix the configuration or settings and restart`, code: 'RUNTIME_UNAVAILABLE' });
    }
    return handler(request, context, built);
  };
}
