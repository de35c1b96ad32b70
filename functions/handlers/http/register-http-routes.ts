/**
 * The HTTP side of the Functions app (issues #7, #15). Webhook routes have `authLevel: 'function'`
 * (one function key each, in `?code=` or `x-functions-key`) and check their sender's own secret on
 * top. The API routes (approvals, status, check) are authorised as api-auth.ts says: with Entra
 * ID on they are `anonymous` at the host and the app checks the platform's principal and its app
 * roles here, before the handler runs; without it status and check keep a function key and
 * approvals answer 503. The composition root builds the {@link HttpRuntime} (functions/app.ts
 * passes a getter, so a cold start builds it once, on first use); each handler is exported on its
 * own so tests call it with a real HttpRequest and InvocationContext.
 */
import type { app as FunctionsApp, HttpHandler, HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ConfiguredImage } from '../../config/tracked-images';
import { describeError } from '../../errors';
import { authLevelFor, authorize, type ApiAccess, type ApiAuth, type Caller } from './api-auth';
import type { WebhooksConfig } from '../../config/resolve-webhooks';
import type { Clock, StateStore } from '../../pipeline/ports';
import type { WebhookSender } from '../../webhooks/push-event';
import type { WebhookSecretSource } from '../../webhooks/webhook-secret-settings';
import { acrWebhook } from './acr-webhook';
import { approvalDecision } from './approval-decision';
import { checkImage } from './check-image';
import { dockerHubWebhook } from './dockerhub-webhook';
import { eventGridWebhook } from './event-grid-webhook';
import { genericWebhook } from './generic-webhook';
import { errorResponse, jsonResponse } from './http-response';
import { status } from './status';

/** What the HTTP handlers need from the composition root. */
export interface HttpRuntime {
  /** The tracked images of the loaded config (functions/config/tracked-images.ts ConfiguredImage[]). */
  images: readonly ConfiguredImage[];
  state: StateStore;
  /** Enqueues a detect of one tracked image (every tracked tag when `tag` is undefined), invisible for `delaySeconds` when given. */
  requestCheck(request: { imageId: string; tag?: string; reason: string; correlationId: string; delaySeconds?: number }): Promise<void>;
  /** Each sender's accepted secrets, current first (azure/webhook-secrets.ts); undefined when the sender has none configured. */
  webhookSecret: WebhookSecretSource;
  /** The `webhooks:` section of basegate.yaml: coalescing window, sender registries. */
  webhooks: WebhooksConfig;
  /** The hosts each sender may report on (webhooks/sender-registries.ts), computed once. */
  senderRegistries: Record<WebhookSender, ReadonlySet<string> | 'any'>;
  clock: Clock;
}

/** An HTTP handler over the runtime; `caller` is who api-auth.ts let in (webhooks: undefined, their secret is checked in the handler). */
export type RuntimeHandler = (request: HttpRequest, context: InvocationContext, runtime: HttpRuntime, caller?: Caller) => Promise<HttpResponseInit>;

/** One route: the function name, its route under `/api`, methods, handler, and who may call it. */
interface HttpRoute {
  name: string;
  route: string;
  methods: HttpMethod[];
  handler: RuntimeHandler;
  /** `webhook`: a sender with a function key and its own secret; otherwise the API access needed. */
  access: 'webhook' | ApiAccess;
  /** The handler records who called (approvals): without Entra ID it cannot serve anyone. */
  needsPrincipal?: boolean;
}

/** Every route the app serves. */
export const HTTP_ROUTES: readonly HttpRoute[] = [
  { name: 'webhookDockerHub', route: 'webhooks/dockerhub', methods: ['POST'], handler: dockerHubWebhook, access: 'webhook' },
  { name: 'webhookAcr', route: 'webhooks/acr', methods: ['POST'], handler: acrWebhook, access: 'webhook' },
  // OPTIONS: the CloudEvents abuse-protection handshake Event Grid sends before delivering.
  { name: 'webhookEventGrid', route: 'webhooks/eventgrid', methods: ['POST', 'OPTIONS'], handler: eventGridWebhook, access: 'webhook' },
  { name: 'webhookGeneric', route: 'webhooks/generic', methods: ['POST'], handler: genericWebhook, access: 'webhook' },
  { name: 'checkImage', route: 'images/{image}/check', methods: ['POST'], handler: checkImage, access: 'approve' },
  { name: 'approvalDecision', route: 'approvals/{id}', methods: ['POST'], handler: approvalDecision, access: 'approve', needsPrincipal: true },
  { name: 'status', route: 'status', methods: ['GET'], handler: status, access: 'read' },
];

/** Registers every route on the Functions app; `runtime` is awaited per request (and cached by its owner). */
export function registerHttpRoutes(app: typeof FunctionsApp, runtime: () => Promise<HttpRuntime>, options: { auth: ApiAuth }): void {
  for (const route of HTTP_ROUTES) {
    const authLevel = route.access === 'webhook' ? 'function' : authLevelFor(options.auth, { access: route.access, needsPrincipal: route.needsPrincipal ?? false });
    app.http(route.name, { route: route.route, methods: route.methods, authLevel, handler: withRuntime(route, options.auth, runtime) });
  }
}

/** Adapts a runtime handler to the Functions signature: the caller is authorised first, then a runtime that cannot be built is a 503 naming why. */
function withRuntime(route: HttpRoute, auth: ApiAuth, runtime: () => Promise<HttpRuntime>): HttpHandler {
  return async (request, context) => {
    let caller: Caller | undefined;
    if (route.access !== 'webhook') {
      try {
        caller = authorize(request, auth, route.access, route.needsPrincipal ?? false);
      } catch (err) {
        return errorResponse(err, context);
      }
    }
    let built: HttpRuntime;
    try {
      built = await runtime();
    } catch (err) {
      context.error('http: runtime unavailable', { error: describeError(err) });
      return jsonResponse(503, { error: `basegate is not ready: ${describeError(err)}; fix the configuration or settings and restart`, code: 'RUNTIME_UNAVAILABLE' });
    }
    return route.handler(request, context, built, caller);
  };
}
