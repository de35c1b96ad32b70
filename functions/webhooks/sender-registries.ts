/**
 * Each sender may only report on the registries it is configured for (issue #15): a push a sender
 * could not have seen is ignored before it is matched, whatever secret came with it. Docker Hub
 * reports on `docker.io` only; an ACR webhook and Event Grid on Azure Container Registry login
 * servers (`webhooks.<sender>.registries`, by default the tracked sources hosted on ACR); the
 * signed generic webhook on any tracked source unless `webhooks.generic.registries` narrows it.
 * So a forged ACR payload naming `docker.io` asks for nothing, even with the ACR secret.
 */
import type { WebhooksConfig } from '../config/resolve-webhooks';
import { DOCKER_HUB, ImageRef } from '../oci/reference';
import type { TrackedImage } from '../pipeline/tracked-image';
import type { IgnoredEvent, PushEvent, WebhookSender } from './push-event';

/** Azure Container Registry login servers: public cloud, Azure China, Azure US Government. */
const ACR_LOGIN_SERVER = /\.azurecr\.(?:io|cn|us)$/;

/** A registry host as references normalise it (`index.docker.io` → `docker.io`), or undefined when it is not one. */
function normalHost(host: string): string | undefined {
  try {
    return ImageRef.of({ registry: host, repository: 'x' }).registry.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The hosts each sender may report on; `any` for the generic webhook without a list. */
export function senderRegistries(images: readonly TrackedImage[], config: WebhooksConfig): Record<WebhookSender, ReadonlySet<string> | 'any'> {
  const normal = (hosts: readonly string[]) => new Set(hosts.map(normalHost).filter((h): h is string => h !== undefined));
  const acrSources = images.map((i) => i.source.registry.toLowerCase()).filter((h) => ACR_LOGIN_SERVER.test(h.replace(/:\d+$/, '')));
  return {
    dockerhub: new Set([DOCKER_HUB]),
    acr: normal(config.registries.acr ?? acrSources),
    eventgrid: normal(config.registries.eventgrid ?? acrSources),
    generic: config.registries.generic ? normal(config.registries.generic) : 'any',
  };
}

/** Splits pushes into those their sender may report and the ignored rest, with the reason. */
export function allowedPushes(pushes: readonly PushEvent[], allowed: Record<WebhookSender, ReadonlySet<string> | 'any'>): { pushes: PushEvent[]; ignored: IgnoredEvent[] } {
  const kept: PushEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  for (const push of pushes) {
    const hosts = allowed[push.sender];
    const host = normalHost(push.registry);
    if (hosts === 'any' || (host !== undefined && hosts.has(host))) {
      kept.push(push);
      continue;
    }
    const list = hosts.size === 0 ? 'none is configured' : `only ${[...hosts].join(', ')}`;
    const where = push.sender === 'dockerhub' ? '' : ` (webhooks.${push.sender}.registries)`;
    ignored.push({ event: `${push.sender} ${push.registry}/${push.repository}`.slice(0, 300), reason: `${push.sender} deliveries may not report on ${push.registry}: ${list}${where}; nothing is fetched` });
  }
  return { pushes: kept, ignored };
}
