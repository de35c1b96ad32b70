/**
 * `npm run bench:detect` (issues #3, #20): 1,000 tracked tags (20 repositories × 50 tags) on a real
 * local docker-registry with token auth (as Docker Hub), behind a counting proxy in its own
 * process. Times, through the real CLI composition:
 *
 * - `basegate check` (the CLI's `main`, read-only) on an empty state: all new;
 * - detect + record, as `sync` runs it (composeCli, detectImage, recordCheck): writes the state;
 * - `basegate check` again: all unchanged;
 * - detect + record again: all unchanged (what every `watch` round costs).
 *
 * and counts requests per tag: manifest HEADs, manifest GETs, token requests, anything else.
 * Target: each run under 10 s on this 2-core machine. Seeding is not timed.
 *
 * Then (issue #20, detect-sync.ts), as whole processes under GNU time:
 * - `basegate sync` and `skopeo sync --all` over the same 1,000 tags, first and no-op, and
 *   basegate's no-op as a ratio of skopeo's (target ≤ 0.1×);
 * - 10,000 tags (200 repositories × 50, a second registry): a first and a no-op `basegate sync`
 *   (targets: no-op ≤ 10 s, ≤ 1 HEAD per tag, peak RSS ≤ 250 MB, state file ≤ 8 MB) and how time
 *   and memory grow from 1,000 to 10,000 (10× is linear);
 * - one detect invocation (what the Functions app does for one detect message: detectImage and
 *   recordCheck) for an image with 500 tags, against the 30-minute function timeout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composeCli } from '../functions/cli/compose';
import { mapLimit } from '../functions/map-limit';
import { detectImage, recordCheck, type TagCheck } from '../functions/pipeline/detect';
import { runCli } from '../test/helpers/cli-run';
import { startRegistry } from '../test/servers/registry-server';
import { formatTable, runBench, timed, type Cleanup } from './bench-run';
import { seedTags, type SeededTags } from './detect-seed';
import { basegateSyncRuns, skopeoSyncRuns, type SyncRuns } from './detect-sync';
import { megabytes } from './process-usage';
import { startProxyProcess, sumOf, type ProxyProcess, type ProxySummary } from './proxy-process';

const REPOS = 20;
const TAGS_PER_REPO = 50;
const TARGET_SECONDS = 10;

interface Measured {
  run: string;
  statuses: string[];
  seconds: number;
  summary: ProxySummary;
  tokens: number;
}

function describeStatuses(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

async function check(config: string): Promise<string[]> {
  const result = await runCli('check', '--config', config, '--json');
  if (result.code !== 0) throw new Error(`basegate check exited ${result.code}: ${result.stderr.slice(-2000)}`);
  return (JSON.parse(result.stdout) as { tags: Array<{ status: string }> }).tags.map((t) => t.status);
}

/** Sync's detect stage: images 4 at a time (sync's default), every tag of an image at once, each recorded. */
async function detectAndRecord(config: string): Promise<string[]> {
  const runtime = await composeCli({ configFile: config });
  try {
    const checks = await mapLimit(runtime.images, 4, async (image) => {
      const found = await detectImage(image, runtime.deps);
      await Promise.all(found.map((c) => recordCheck(image, c, runtime.deps)));
      return found;
    });
    return checks.flat().map((c: TagCheck) => (c.status === 'failed' ? `failed (${c.error})` : c.status));
  } finally {
    await runtime.close();
  }
}

async function measure(name: string, proxy: ProxyProcess, tokenRequests: () => number, fn: () => Promise<string[]>): Promise<Measured> {
  await proxy.clear();
  const tokensBefore = tokenRequests();
  const { seconds, value } = await timed(fn);
  return { run: name, statuses: value, seconds, summary: await proxy.summary(), tokens: tokenRequests() - tokensBefore };
}

function row(m: Measured): string[] {
  const tags = m.statuses.length;
  const heads = sumOf(m.summary, 'requests', /^HEAD manifests /);
  const gets = sumOf(m.summary, 'requests', /^GET manifests /);
  const other = Object.entries(m.summary.requests)
    .filter(([key]) => !/^(HEAD|GET) manifests /.test(key))
    .map(([key, n]) => `${n}× ${key}`)
    .join(', ');
  const perTag = (n: number) => (n / tags).toFixed(3);
  return [m.run, String(tags), describeStatuses(m.statuses), m.seconds.toFixed(2), m.seconds < TARGET_SECONDS ? 'ok' : 'MISS', perTag(heads), perTag(gets), perTag(m.tokens), other || '-'];
}

async function bench(cleanup: Cleanup): Promise<void> {
  const registry = cleanup.add('docker-registry', await startRegistry({ auth: 'token' }), (r) => r.stop());
  const seeded = await timed(() => seedTags(registry, REPOS, TAGS_PER_REPO));
  const total = REPOS * TAGS_PER_REPO;
  process.stdout.write(`seeded ${total} tags (${REPOS} repositories × ${TAGS_PER_REPO}, each its own index digest) on ${registry.host} (token auth) in ${seeded.seconds.toFixed(1)} s (not measured)\n`);
  const proxy = cleanup.add('counting proxy', await startProxyProcess(`http://${registry.host}`), (p) => p.stop());
  const dir = cleanup.tempDir('detect');
  const config = path.join(dir, 'basegate.yaml');
  const images = seeded.value.repos.map(({ repo, tags }) => `  - source: ${proxy.host}/${repo}\n    tags: [${tags.join(', ')}]\n    repository: mirror/${repo.split('/').pop()}`);
  fs.writeFileSync(config, ['target:', `  registry: "${registry.host}"`, 'images:', ...images, ''].join('\n'));
  process.stdout.write(`config ${config}: ${REPOS} images, anonymous pulls through the counting proxy ${proxy.host}, default per-host concurrency\n\n`);

  const tokens = () => registry.tokenIssuer!.requests.length;
  const runs: Measured[] = [];
  runs.push(await measure('check, empty state', proxy, tokens, () => check(config)));
  runs.push(await measure('detect + record (sync), empty state', proxy, tokens, () => detectAndRecord(config)));
  runs.push(await measure('check, state recorded', proxy, tokens, () => check(config)));
  runs.push(await measure('detect + record (sync), state recorded', proxy, tokens, () => detectAndRecord(config)));

  const expected = ['new', 'new', 'unchanged', 'unchanged'];
  runs.forEach((m, i) => {
    if (m.statuses.length !== total || m.statuses.some((s) => s !== expected[i])) throw new Error(`${m.run}: expected ${total} ${expected[i]}, got ${describeStatuses(m.statuses)}`);
  });
  const header = ['run', 'tags', 'result', 'seconds', `< ${TARGET_SECONDS} s`, 'HEAD/tag', 'GET manifest/tag', 'token/tag', 'other requests'];
  process.stdout.write(`${formatTable([header, ...runs.map(row)])}\n`);
  const stateFile = path.join(dir, '.basegate', 'state.json');
  process.stdout.write(`\nstate file after the runs: ${(fs.statSync(stateFile).size / 1024).toFixed(0)} KiB (${stateFile})\n`);

  await scale(cleanup, registry.host, proxy, seeded.value);
}

const FUNCTION_TIMEOUT_S = 30 * 60;

/** Issue #20: whole sync processes at 1,000 and 10,000 tags, skopeo beside the first, and one 500-tag detect. */
async function scale(cleanup: Cleanup, upstreamHost: string, proxy: ProxyProcess, thousand: SeededTags): Promise<void> {
  process.stdout.write('\nwhole processes (/usr/bin/time): node dist/functions/cli.js sync --config FILE --json; skopeo sync --all --preserve-digests --src docker --dest docker, one call per repository; both through the counting proxy\n');
  const b1k = await basegateSyncRuns(cleanup, proxy, thousand, '1k');
  const s1k = await skopeoSyncRuns(cleanup, proxy, thousand);
  for (const f of [...b1k.first.failed, ...b1k.noop.failed].slice(0, 5)) process.stdout.write(`  1,000 tags, failed: ${f}\n`);
  // The no-op at 10,000 needs a promoted state, which only a first sync of 10,000 tags builds.
  const extrapolated = b1k.first.usage.wall * 10;
  const b10k = extrapolated <= SCALE_BUDGET_S ? await tenThousand(cleanup) : undefined;
  if (!b10k) process.stdout.write(`10,000 tags: not run: the first sync it needs would take about ${(extrapolated / 60).toFixed(0)} min here (10 × the 1,000-tag first sync), past this bench's ${SCALE_BUDGET_S / 60}-min budget (BASEGATE_BENCH_SCALE_BUDGET_S)\n`);
  const syncRow = (who: string, r: SyncRuns, phase: 'first' | 'noop') => {
    const x = r[phase];
    return [who, String(r.tags), phase === 'first' ? 'first sync' : 'no-op', x.usage.wall.toFixed(2), x.usage.cpu?.toFixed(2) ?? '-', megabytes(x.usage.peakRss), x.headsPerTag.toFixed(3), x.otherPerTag.toFixed(3), r.stateBytes === undefined ? '-' : megabytes(r.stateBytes)];
  };
  const header = ['process', 'tags', 'run', 'seconds', 'CPU s', 'peak RSS', 'HEAD/tag', 'other requests/tag', 'state file'];
  const rows = [syncRow('basegate', b1k, 'first'), syncRow('skopeo', s1k, 'first'), syncRow('basegate', b1k, 'noop'), syncRow('skopeo', s1k, 'noop')];
  if (b10k) rows.push(syncRow('basegate', b10k, 'first'), syncRow('basegate', b10k, 'noop'));
  process.stdout.write(`${formatTable([header, ...rows])}\n\n`);
  const ok = (yes: boolean) => (yes ? 'ok' : 'MISS');
  const ratio = b1k.noop.usage.wall / s1k.noop.usage.wall;
  process.stdout.write(`1,000 tags: basegate no-op / skopeo no-op = ${ratio.toFixed(3)}x (target ≤ 0.1x: ${ok(ratio <= 0.1)}); first sync ${(b1k.first.usage.wall / s1k.first.usage.wall).toFixed(2)}x; basegate first sync failed ${b1k.first.failed.length}, no-op failed ${b1k.noop.failed.length}\n`);
  if (b10k) growthLines(b1k, b10k);
  await oneDetect(cleanup, upstreamHost);
}

/** Time allowed for the 10,000-tag part (its first sync); default 20 min. */
const SCALE_BUDGET_S = Number(process.env.BASEGATE_BENCH_SCALE_BUDGET_S ?? 1200);

async function tenThousand(cleanup: Cleanup): Promise<SyncRuns> {
  const big = cleanup.add('docker-registry (10,000 tags)', await startRegistry({ auth: 'token' }), (r) => r.stop());
  const seeded = await timed(() => seedTags(big, 200, 50));
  process.stdout.write(`seeded 10,000 tags (200 repositories × 50) on ${big.host} in ${seeded.seconds.toFixed(1)} s (not measured)\n`);
  const bigProxy = cleanup.add('counting proxy (10,000 tags)', await startProxyProcess(`http://${big.host}`), (p) => p.stop());
  return basegateSyncRuns(cleanup, bigProxy, seeded.value, '10k');
}

function growthLines(b1k: SyncRuns, b10k: SyncRuns): void {
  const ok = (yes: boolean) => (yes ? 'ok' : 'MISS');
  const n = b10k.noop;
  process.stdout.write(
    `10,000 tags, no-op: ${n.usage.wall.toFixed(2)} s (≤ 10 s: ${ok(n.usage.wall <= 10)}), ${n.headsPerTag.toFixed(3)} HEAD/tag (≤ 1: ${ok(n.headsPerTag <= 1)}), peak RSS ${megabytes(n.usage.peakRss)} (≤ 250 MB: ${ok((n.usage.peakRss ?? Infinity) <= 250e6)}), state file ${megabytes(b10k.stateBytes)} (≤ 8 MB: ${ok((b10k.stateBytes ?? Infinity) <= 8e6)})\n`,
  );
  const growth = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(b / a).toFixed(1)}x`);
  process.stdout.write(
    `growth 1,000 → 10,000 tags (10x tags; ≤ 10x is linear or better): no-op time ${growth(b1k.noop.usage.wall, n.usage.wall)}, no-op CPU ${growth(b1k.noop.usage.cpu, n.usage.cpu)}, no-op peak RSS ${growth(b1k.noop.usage.peakRss, n.usage.peakRss)}, first-sync time ${growth(b1k.first.usage.wall, b10k.first.usage.wall)}, state file ${growth(b1k.stateBytes, b10k.stateBytes)}\n`,
  );
}

/** One detect message's work for an image of 500 tags, timed against the function timeout. */
async function oneDetect(cleanup: Cleanup, upstreamHost: string): Promise<void> {
  const registry = cleanup.add('docker-registry (500 tags)', await startRegistry({ auth: 'token' }), (r) => r.stop());
  const seeded = await seedTags(registry, 1, 500, 'bench/wide');
  const dir = cleanup.tempDir('detect-500');
  const config = path.join(dir, 'basegate.yaml');
  const [{ repo, tags }] = seeded.repos;
  fs.writeFileSync(config, ['target:', `  registry: "${upstreamHost}"`, 'images:', `  - source: ${registry.host}/${repo}`, `    tags: [${tags.join(', ')}]`, '    repository: mirror/wide', ''].join('\n'));
  const runtime = await composeCli({ configFile: config });
  try {
    const [image] = runtime.images;
    const { seconds, value } = await timed(async () => {
      const found = await detectImage(image, runtime.deps);
      await Promise.all(found.map((c) => recordCheck(image, c, runtime.deps)));
      return found;
    });
    const statuses = describeStatuses(value.map((c) => c.status));
    process.stdout.write(`one detect invocation, 1 image × 500 tags (detectImage + recordCheck, empty state): ${statuses} in ${seconds.toFixed(2)} s = ${((seconds / FUNCTION_TIMEOUT_S) * 100).toFixed(3)}% of the 30-minute function timeout\n`);
  } finally {
    await runtime.close();
  }
}

runBench('bench:detect — 1,000 tracked tags, basegate check / detect on a local docker-registry', bench);
