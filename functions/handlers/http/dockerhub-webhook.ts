/**
 * `POST /api/webhooks/dockerhub?secret=<secret>`: a Docker Hub push. Docker Hub signs nothing and
 * sets no custom header, so its own secret (never the generic one: it can be read from the URL)
 * rides in the URL (`secret` query parameter), or in `X-Basegate-Secret` from a relay that can set
 * headers. Checked before the body is read.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { DOCKER_HUB_EXPECTED, parseDockerHubPush } from '../../webhooks/dockerhub-payload';
import { checkSharedSecret, SECRET_HEADER } from '../../webhooks/shared-secret';
import { enqueueChecks } from './enqueue-checks';
import { respond } from './http-response';
import { readJson } from './read-json';
import type { HttpRuntime } from './register-http-routes';

/** Handles one Docker Hub webhook delivery. */
export async function dockerHubWebhook(request: HttpRequest, context: InvocationContext, runtime: HttpRuntime): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const given = request.query.get('secret') ?? request.headers.get(SECRET_HEADER) ?? undefined;
    checkSharedSecret('dockerhub', given, await runtime.webhookSecret('dockerhub'), 'the secret query parameter (?secret=) or the X-Basegate-Secret header');
    const delivery = parseDockerHubPush(await readJson(request, DOCKER_HUB_EXPECTED));
    return enqueueChecks(delivery, 'dockerhub', runtime, context);
  });
}
