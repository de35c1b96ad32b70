/**
 * `npm run bench:import` (issue #20): Azure promotion throughput within ARM's request limits.
 * 500 tags (50 repositories × 10, each tag its own multi-arch index) on a local docker-registry
 * are promoted through the real `AcrImportPromoter` and `@azure/arm-containerregistry` client
 * against the ARM contract stand-in (test/servers/arm-contract-fake.ts), which enforces ARM's
 * per-principal token buckets (test/servers/arm-rate-limit.ts: writes 200 burst + 10/s, reads
 * 250 + 25/s, LRO status polls counted as reads) and copies each import for real into a second
 * docker-registry. Promotions run 64 at a time in one process (as 4 instances × host.json's
 * default queue batch of 16 would, here sharing one client budget), with the promoter's
 * default poll interval (2 s).
 *
 * Two runs, each into a fresh target:
 * - "client budget on": the client's request budget (functions/azure/arm-request-budget.ts);
 * - "client budget off": the budget made too large to matter, so only the SDK's handling of the
 *   429s (Retry-After) paces the run.
 * Prints the rate, imports and status polls per promotion, the 429s met, and checks that no
 * import was repeated (each target tag imported once) and every tag resolves to its digest.
 */
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { AcrImportPromoter } from '../functions/azure/acr-import-promoter';
import { createArmClient } from '../functions/azure/arm-client';
import { ArmRequestBudget } from '../functions/azure/arm-request-budget';
import { mapLimit } from '../functions/map-limit';
import { parseReference } from '../functions/oci/reference';
import { RemoteRegistry } from '../functions/oci/registry/remote-registry';
import { rawGetManifest } from '../test/helpers/raw-registry';
import { staticCredential } from '../test/helpers/static-credential';
import { ArmContractFake } from '../test/servers/arm-contract-fake';
import { ARM_DOCUMENTED_LIMITS } from '../test/servers/arm-rate-limit';
import { startRegistry, type RegistryServer } from '../test/servers/registry-server';
import { formatTable, runBench, timed, type Cleanup } from './bench-run';
import { seedTags, type SeededTags } from './detect-seed';

const REPOS = 50;
const TAGS_PER_REPO = 10;
const IN_FLIGHT = 64;
const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444';
const UNLIMITED = { reads: { burst: 1e9, perSecond: 1e9 }, writes: { burst: 1e9, perSecond: 1e9 }, deletes: { burst: 1e9, perSecond: 1e9 } };

interface RunResult {
  name: string;
  seconds: number;
  promotions: number;
  imports: number;
  polls: number;
  reads: number;
  writes: number;
  throttled: { reads: number; writes: number };
  repeated: number;
  failed: string[];
  waitedSeconds: number;
}

async function run(cleanup: Cleanup, name: string, source: RegistryServer, seeded: SeededTags, budgetOn: boolean): Promise<RunResult> {
  const target = cleanup.add(`${name} target docker-registry`, await startRegistry(), (r) => r.stop());
  const fake = cleanup.add(`${name} ARM contract fake`, await ArmContractFake.start({ rateLimits: ARM_DOCUMENTED_LIMITS }), (f) => f.close());
  fake.standingImport = { inProgressPolls: 1 };
  const registryId = fake.addRegistry({ subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-base', name: 'contosobase', storage: { host: target.host } });
  const budget = new ArmRequestBudget(budgetOn ? {} : UNLIMITED);
  // Enough SDK retries that a throttled run still finishes: a 429 waits Retry-After, then tries again.
  const client: ContainerRegistryManagementClient = createArmClient({ subscriptionId: SUBSCRIPTION, credential: staticCredential(fake.token), endpoint: fake.endpoint, trustedCa: fake.ca, requestBudget: budget, retry: { maxRetries: 20 } });
  const dataPlane = cleanup.add(`${name} data plane`, new RemoteRegistry({ hosts: { [source.host]: {}, [target.host]: {} } }), (r) => r.close());
  const promoter = new AcrImportPromoter({ client, registry: registryId, sourceRegistry: dataPlane, targetRegistry: dataPlane });
  const work = seeded.repos.flatMap(({ repo, tags }) => tags.map((tag) => ({ repo, tag, digest: seeded.digests.get(`${repo}:${tag}`)! })));
  const failed: string[] = [];
  let done = 0;
  const { seconds } = await timed(() =>
    mapLimit(work, IN_FLIGHT, async ({ repo, tag, digest }) => {
      const request = {
        source: parseReference(`${source.host}/${repo}:${tag}@${digest}`),
        target: parseReference(`${target.host}/mirror/${repo.split('/').pop()}`, { defaultTag: false }),
        tags: [tag, `${tag}-${digest.slice(7, 19)}`],
      };
      try {
        await promoter.promote(request);
      } catch (err) {
        failed.push(`${repo}:${tag}: ${(err as Error).message}`);
      }
      if (++done % 100 === 0) process.stdout.write(`  ${name}: ${done} promotions, ${fake.rateLimiter!.throttled.reads + fake.rateLimiter!.throttled.writes} 429s so far\n`);
    }),
  );
  for (const { repo, tag, digest } of work) {
    const found = await rawGetManifest({ host: target.host }, `mirror/${repo.split('/').pop()}`, tag);
    if (found?.digest !== digest) failed.push(`${repo}:${tag} in the target is ${found?.digest ?? 'missing'}`);
  }
  const importedTags = fake.imports.flatMap((c) => c.body.targetTags ?? []);
  const requests = fake.requests;
  const polls = requests.filter((r) => r.method === 'GET' && /\/operation(Statuses|Results)\//.test(r.path)).length;
  const limiter = fake.rateLimiter!;
  fake.assertDone();
  return {
    name,
    seconds,
    promotions: work.length,
    imports: fake.imports.length,
    polls,
    reads: limiter.allowed.reads + limiter.throttled.reads,
    writes: limiter.allowed.writes + limiter.throttled.writes,
    throttled: { reads: limiter.throttled.reads, writes: limiter.throttled.writes },
    repeated: importedTags.length - new Set(importedTags).size,
    failed,
    waitedSeconds: (budget.waitedMs.reads + budget.waitedMs.writes) / 1000,
  };
}

function row(r: RunResult): string[] {
  const per = (n: number) => (n / r.promotions).toFixed(2);
  return [
    r.name,
    String(r.promotions),
    r.seconds.toFixed(1),
    (r.promotions / r.seconds).toFixed(2),
    per(r.imports),
    per(r.polls),
    `${r.reads} / ${r.writes}`,
    `${r.throttled.reads} / ${r.throttled.writes}`,
    r.waitedSeconds.toFixed(0),
    String(r.repeated),
    String(r.failed.length),
  ];
}

async function bench(cleanup: Cleanup): Promise<void> {
  const source = cleanup.add('source docker-registry', await startRegistry(), (r) => r.stop());
  const seeded = await timed(() => seedTags(source, REPOS, TAGS_PER_REPO));
  process.stdout.write(`seeded ${REPOS * TAGS_PER_REPO} tags (${REPOS} repositories × ${TAGS_PER_REPO}, each its own index of 2 platforms) on ${source.host} in ${seeded.seconds.toFixed(1)} s (not measured)\n`);
  process.stdout.write(
    `ARM stand-in limits per principal: writes ${ARM_DOCUMENTED_LIMITS.writes.burst} burst + ${ARM_DOCUMENTED_LIMITS.writes.perSecond}/s, reads ${ARM_DOCUMENTED_LIMITS.reads.burst} + ${ARM_DOCUMENTED_LIMITS.reads.perSecond}/s (status polls are reads); ${IN_FLIGHT} promotions in flight; AcrImportPromoter defaults (poll every 2 s); each import copied for real\n`,
  );
  process.stdout.write('the floor those limits set for 500 promotions: writes (imports) beyond the burst at 10/s, reads (polls, final GETs) beyond theirs at 25/s\n\n');
  const results = [await run(cleanup, 'client budget on', source, seeded.value, true), await run(cleanup, 'client budget off (SDK Retry-After only)', source, seeded.value, false)];
  const header = ['run', 'promotions', 'seconds', 'promotions/s', 'imports/promotion', 'polls/promotion', 'ARM reads / writes', '429s reads / writes', 'budget wait s', 'imports repeated', 'failed'];
  process.stdout.write(`${formatTable([header, ...results.map(row)])}\n`);
  for (const r of results) {
    const floor = Math.max(0, (r.writes - r.throttled.writes - ARM_DOCUMENTED_LIMITS.writes.burst) / ARM_DOCUMENTED_LIMITS.writes.perSecond, (r.reads - r.throttled.reads - ARM_DOCUMENTED_LIMITS.reads.burst) / ARM_DOCUMENTED_LIMITS.reads.perSecond);
    process.stdout.write(`${r.name}: the limits alone allow these ${r.reads - r.throttled.reads} reads and ${r.writes - r.throttled.writes} writes in no less than ${floor.toFixed(1)} s\n`);
    for (const f of r.failed.slice(0, 5)) process.stdout.write(`  failed: ${f}\n`);
  }
  const bad = results.filter((r) => r.failed.length > 0 || r.repeated > 0);
  if (bad.length > 0) throw new Error(`${bad.map((r) => r.name).join(', ')}: promotions failed or imports were repeated`);
}

runBench('bench:import — 500 promotions through ARM importImage within ARM request limits', bench);
