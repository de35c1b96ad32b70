/**
 * createRebuildTrigger over dependents as the config loader resolves them from basegate.yaml:
 * each HTTP kind reaches its receiver over HTTPS (self-signed CA passed through `http`), ids and
 * defaults come from the config, `tokenSecret` goes through the injected resolver, and the ACR
 * kinds go to the injected builders or are refused.
 */
import { Agent } from 'undici';
import type { AcrTaskDependent, DependentConfig, DiscoverDependent } from '../../functions/config/config';
import { parseConfig } from '../../functions/config/load-config';
import { ConfigError } from '../../functions/errors';
import { createRebuildTrigger } from '../../functions/rebuild/create-rebuild-trigger';
import { deliveryId } from '../../functions/rebuild/delivery-id';
import { promotionId } from '../../functions/pipeline/records';
import type { RebuildTrigger } from '../../functions/rebuild/rebuild-trigger';
import { RebuildTriggerError } from '../../functions/rebuild/rebuild-trigger-error';
import { promotedEvent } from '../helpers/promoted-event';
import { expectNoSecrets, rejectionOf } from '../helpers/secret-leak';
import { startAzureDevOpsFake, type AzureDevOpsFake } from '../servers/azure-devops-fake';
import { startGithubApiFake, type GithubApiFake } from '../servers/github-api-fake';
import { makeSelfSignedCert } from '../servers/self-signed-cert';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const env = { HOOK_SECRET: 'hook-secret-do-not-leak', GITHUB_TOKEN: 'ghp_factory-do-not-leak', AZDO_TOKEN: 'azdo-factory-do-not-leak' };
const KEY_VAULT_TOKEN = 'ghp_from-key-vault-do-not-leak';
const APP_REGISTRY = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/apps/providers/Microsoft.ContainerRegistry/registries/contosoapps';

const event = promotedEvent('0f', { registry: '127.0.0.1:5001' });

let receiver: WebhookReceiver;
let github: GithubApiFake;
let azdo: AzureDevOpsFake;
let agent: Agent;

beforeAll(async () => {
  const cert = makeSelfSignedCert();
  agent = new Agent({ connect: { ca: cert.cert } });
  [receiver, github, azdo] = await Promise.all([
    startWebhookReceiver({ tls: cert }),
    startGithubApiFake({ token: env.GITHUB_TOKEN, tls: cert }),
    startAzureDevOpsFake({ organization: 'contoso', project: 'web', pipelineId: 42, parameters: ['baseImage'], pat: env.AZDO_TOKEN }, { tls: cert }),
  ]);
});
afterEach(() => {
  receiver.assertDone();
  github.assertDone();
  azdo.assertDone();
});
afterAll(async () => {
  await Promise.all([receiver?.close(), github?.close(), azdo?.close()]);
  await agent?.close();
});

function dependentsFrom(dependentsYaml: string): DependentConfig[] {
  const text = [
    'target: { registry: 127.0.0.1:5001 }',
    'images:',
    '  - source: docker.io/library/node',
    '    tags: ["20-alpine"]',
    '    repository: base/node',
    '    dependents:',
    ...dependentsYaml.trim().split('\n').map((l) => `      ${l}`),
  ].join('\n');
  return parseConfig(text, { file: '/work/basegate.yaml', env }).images[0].dependents;
}

/** An injected ACR builder: records what it was asked for and returns a trigger that says so. */
function recordingBuilder<T extends { id: string }>(calls: T[]): (dependent: T) => RebuildTrigger {
  return (dependent) => {
    calls.push(dependent);
    return { id: dependent.id, trigger: async () => ({ status: 'skipped', detail: `built by the injected builder for ${dependent.id}` }) };
  };
}

describe('createRebuildTrigger', () => {
  it('builds a working trigger for every dependent of a loaded basegate.yaml', async () => {
    const dependents = dependentsFrom(`
- webhook: { url: "${receiver.url}/hooks/base", secret: "\${HOOK_SECRET}", headers: { X-Team: web } }
- githubDispatch: { repository: contoso/orders-api, eventType: base-image-updated, token: "\${GITHUB_TOKEN}", apiUrl: "${github.apiUrl}" }
- azurePipelines: { organization: contoso, project: web, pipelineId: 42, token: "\${AZDO_TOKEN}", url: "${azdo.url}" }
- acrTask: { registry: ${APP_REGISTRY}, task: build-orders-api }
- name: all-apps
  discover: { registry: ${APP_REGISTRY} }
`);
    const acrCalls: AcrTaskDependent[] = [];
    const discoverCalls: DiscoverDependent[] = [];
    const triggers = dependents.map((d) =>
      createRebuildTrigger(d, { http: { dispatcher: agent }, acrTask: recordingBuilder(acrCalls), discover: recordingBuilder(discoverCalls) }),
    );
    expect(triggers.map((t) => t.id)).toEqual(dependents.map((d) => d.id));
    expect(triggers[4].id).toBe('all-apps');

    receiver.expectDelivery({ secret: env.HOOK_SECRET });
    github.expectDispatch({ repository: 'contoso/orders-api' });
    azdo.expectRun();
    const outcomes = [];
    for (const trigger of triggers) outcomes.push(await trigger.trigger(event));

    expect(receiver.deliveries[0].signatureValid).toBe(true);
    expect(receiver.deliveries[0].request.headers['x-team']).toBe('web');
    expect(receiver.deliveries[0].request.headers['x-basegate-delivery']).toBe(deliveryId(promotionId(event), dependents[0].id));
    expect(github.dispatches[0].body).toEqual({ event_type: 'base-image-updated', client_payload: event });
    expect(azdo.runs[0].body).toEqual({ templateParameters: { baseImage: event.target } });
    expect(outcomes.map((o) => o.status)).toEqual(['triggered', 'triggered', 'triggered', 'skipped', 'skipped']);
    expect(outcomes[2].runId).toBe(String(azdo.runs[0].runId));
    expect(acrCalls).toEqual([expect.objectContaining({ kind: 'acrTask', registry: APP_REGISTRY, task: 'build-orders-api', argument: 'BASE_IMAGE' })]);
    expect(discoverCalls).toEqual([expect.objectContaining({ kind: 'discover', id: 'all-apps', schedule: 'auto' })]);
  });

  it('reads tokenSecret through the injected resolver at each request', async () => {
    const [dependent] = dependentsFrom(`
- githubDispatch: { repository: contoso/orders-api, eventType: rebuild, tokenSecret: "https://contoso.vault.azure.net/secrets/gh-token", apiUrl: "${github.apiUrl}" }
`);
    const asked: string[] = [];
    const trigger = createRebuildTrigger(dependent, {
      http: { dispatcher: agent },
      resolveSecret: async ({ keyVaultSecret }) => (asked.push(keyVaultSecret), keyVaultSecret.endsWith('/gh-token') ? KEY_VAULT_TOKEN : 'wrong'),
    });
    github.expectDispatch({ repository: 'contoso/orders-api', badCredentials: true }); // the fake only knows GITHUB_TOKEN

    const err = await rejectionOf(trigger.trigger(event));

    expect(asked).toEqual(['https://contoso.vault.azure.net/secrets/gh-token']);
    expect(github.requests[0].headers.authorization).toBe(`Bearer ${KEY_VAULT_TOKEN}`);
    expect(err).toBeInstanceOf(RebuildTriggerError);
    expect((err as RebuildTriggerError).code).toBe('REBUILD_UNAUTHORIZED');
    expectNoSecrets(err, [KEY_VAULT_TOKEN]);
  });

  it('refuses kinds this runtime cannot serve, naming the dependent', () => {
    const dependents = dependentsFrom(`
- acrTask: { registry: ${APP_REGISTRY}, task: build-orders-api }
- discover: { registry: ${APP_REGISTRY} }
- githubDispatch: { repository: contoso/orders-api, eventType: rebuild, tokenSecret: "https://contoso.vault.azure.net/secrets/gh-token" }
`);
    for (const dependent of dependents) {
      let err: unknown;
      try {
        createRebuildTrigger(dependent, { http: { dispatcher: agent } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('REBUILD_UNSUPPORTED');
      expect((err as Error).message).toContain(dependent.id);
    }
  });

  it('refuses plain http to a non-loopback host even when the entry did not come through the schema', () => {
    const dependent: DependentConfig = { kind: 'webhook', id: 'hand-made', url: 'http://ci.example.com/hooks', secret: env.HOOK_SECRET, headers: {}, insecure: false };
    let err: unknown;
    try {
      createRebuildTrigger(dependent);
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).code).toBe('REBUILD_INSECURE_URL');
    expectNoSecrets(err, [env.HOOK_SECRET]);
    expect(createRebuildTrigger({ ...dependent, insecure: true }).id).toBe('hand-made');
  });
});
