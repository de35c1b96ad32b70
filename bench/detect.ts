/**
 * `npm run bench:detect` (issue #3): 1,000 tracked tags (20 repositories × 50 tags) on a real
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
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composeCli } from '../functions/cli/compose';
import { mapLimit } from '../functions/map-limit';
import { detectImage, recordCheck, type TagCheck } from '../functions/pipeline/detect';
import { runCli } from '../test/helpers/cli-run';
import { startRegistry } from '../test/servers/registry-server';
import { formatTable, runBench, timed, type Cleanup } from './bench-run';
import { seedTags } from './detect-seed';
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
}

runBench('bench:detect — 1,000 tracked tags, basegate check / detect on a local docker-registry', bench);
