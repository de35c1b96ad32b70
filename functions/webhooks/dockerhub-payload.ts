/**
 * Docker Hub push webhooks (https://docs.docker.com/docker-hub/repos/manage/webhooks/). The payload
 * names no host: every Docker Hub repository lives on `docker.io`. `repository.repo_name` is
 * `namespace/name` (`library/node` for official images). `callback_url` is never called: in a
 * forged payload it would be an address of the attacker's choosing. Docker Hub sends no delivery
 * id; the callback URL (unique to a delivery chain) with the push time and tag stands in for one,
 * so a redelivered payload is recognised (delivery-ledger.ts).
 */
import { DOCKER_HUB } from '../oci/reference';
import { checkPayload, type WebhookDelivery } from './push-event';
import { dockerHubPushSchema } from './schema';

/** What the Docker Hub endpoint expects, for error messages. */
export const DOCKER_HUB_EXPECTED = 'a Docker Hub push payload ({"push_data": {"tag"}, "repository": {"repo_name"}})';

/** Reduces a Docker Hub push payload to one push on docker.io. */
export function parseDockerHubPush(json: unknown): WebhookDelivery {
  const body = checkPayload(dockerHubPushSchema, json, DOCKER_HUB_EXPECTED);
  const deliveryId = body.callback_url ? `${body.callback_url}|${body.push_data.pushed_at ?? ''}|${body.push_data.tag}` : undefined;
  return { pushes: [{ sender: 'dockerhub', registry: DOCKER_HUB, repository: body.repository.repo_name, tag: body.push_data.tag, deliveryId }], ignored: [] };
}
