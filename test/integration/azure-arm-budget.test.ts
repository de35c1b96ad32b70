/**
 * ARM's request limits in the import path: the real `@azure/arm-containerregistry` client against
 * the ARM contract fake enforcing ARM's token buckets (test/servers/arm-rate-limit.ts), here made
 * small (2 writes of burst, 1/s) so that four concurrent imports exceed them.
 * - With the client's request budget matching the limits, the imports pace themselves: no 429.
 * - Without it (a budget too large to matter), 429s are met, each is retried by the SDK after its
 *   Retry-After, and every import still happens exactly once.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { importIntoAcr } from '../../functions/azure/acr-import';
import { parseAcrResourceId } from '../../functions/azure/acr-resource-id';
import { createArmClient } from '../../functions/azure/arm-client';
import { ArmRequestBudget, type ArmRequestBudgetOptions } from '../../functions/azure/arm-request-budget';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetManifest, type RawTarget } from '../helpers/raw-registry';
import { staticCredential } from '../helpers/static-credential';
import { ArmContractFake } from '../servers/arm-contract-fake';
import { testEnv, uniqueRepo } from '../servers/test-env';

const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
const LIMITS = { reads: { burst: 1000, perSecond: 1000 }, writes: { burst: 2, perSecond: 1 }, deletes: { burst: 2, perSecond: 1 } };
const UNLIMITED: ArmRequestBudgetOptions = { reads: { burst: 1e9, perSecond: 1e9 }, writes: { burst: 1e9, perSecond: 1e9 } };

describe('ARM request limits in the import path', () => {
  let source: RawTarget;
  let target: RawTarget;
  let images: Array<{ repo: string; image: SynthImage }>;

  beforeAll(async () => {
    source = { host: testEnv().registries.anonymous.host };
    target = { host: testEnv().registries.anonymous.host };
    images = [];
    for (let i = 0; i < 4; i++) {
      const repo = uniqueRepo('arm-budget-src');
      const image = synthImage({ seed: `arm-budget-${i}`, layers: 1, layerSize: 512 });
      await pushImage(source, repo, ['v1'], image);
      images.push({ repo, image });
    }
  });

  async function importAll(budget: ArmRequestBudget): Promise<{ fake: ArmContractFake; targets: string[] }> {
    const fake = await ArmContractFake.start({ rateLimits: LIMITS });
    try {
      fake.standingImport = { inProgressPolls: 0 };
      const registryId = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg', name: 'contosobase', storage: target });
      const client: ContainerRegistryManagementClient = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca, requestBudget: budget, retry: { maxRetries: 10 } });
      const targets = images.map(() => `${uniqueRepo('base/arm-budget')}:v1`);
      await Promise.all(
        images.map(({ repo, image }, i) =>
          importIntoAcr(client, parseAcrResourceId(registryId), { source: { registryUri: source.host, sourceImage: `${repo}@${image.digest}` }, targetTags: [targets[i]] }, { timeoutMs: 60_000, pollIntervalMs: 10 }),
        ),
      );
      for (const [i, t] of targets.entries()) {
        const [repo, tag] = t.split(':');
        expect((await rawGetManifest(target, repo, tag))?.digest).toBe(images[i].image.digest);
      }
      fake.assertDone();
      return { fake, targets };
    } finally {
      await fake.close();
    }
  }

  it('paces imports within the limits with the client budget: no 429, each import once', async () => {
    const budget = new ArmRequestBudget(LIMITS);
    const { fake, targets } = await importAll(budget);
    expect(fake.rateLimiter!.throttled).toEqual({ reads: 0, writes: 0, deletes: 0 });
    expect(fake.imports.map((c) => c.body.targetTags![0]).sort()).toEqual([...targets].sort());
    // Two writes of burst, then one every 1.25 s (80% of 1/s): the last two imports waited.
    expect(budget.waitedMs.writes).toBeGreaterThanOrEqual(3000);
  });

  it('without the budget meets 429s, retries each after Retry-After, and repeats no import', async () => {
    const { fake, targets } = await importAll(new ArmRequestBudget(UNLIMITED));
    expect(fake.rateLimiter!.throttled.writes).toBeGreaterThan(0);
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/importImage'));
    expect(posts.length).toBe(4 + fake.rateLimiter!.throttled.writes);
    expect(fake.imports.map((c) => c.body.targetTags![0]).sort()).toEqual([...targets].sort());
  });
});
