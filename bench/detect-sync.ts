/**
 * The sync half of `npm run bench:detect` (issue #20): whole `basegate sync` processes (the built
 * CLI, under GNU time) over every tracked tag of a seeded token-auth registry, into a fresh
 * target registry, reading through the counting proxy: a first sync (everything promoted) and a
 * no-op re-sync (one HEAD per tag, nothing else), with the state file's size after them; and the
 * same with `skopeo sync --all` (one call per repository, through the same proxy) for the ratio.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRegistry } from '../test/servers/registry-server';
import type { Cleanup } from './bench-run';
import type { SeededTags } from './detect-seed';
import type { Usage } from './process-usage';
import { sumOf, type ProxyProcess } from './proxy-process';
import { basegateSync, skopeoSync } from './sync-peers';

/** One measured sync process (or a side's processes). */
export interface SyncRun {
  usage: Usage;
  /** Manifest HEADs the upstream saw, per tracked tag. */
  headsPerTag: number;
  /** Every other upstream request, per tracked tag. */
  otherPerTag: number;
  /** Tags the sync reported failed, with the reason (a loaded machine times requests out). */
  failed: string[];
}

export interface SyncRuns {
  tags: number;
  first: SyncRun;
  noop: SyncRun;
  stateBytes?: number;
}

async function measured(proxy: ProxyProcess, tags: number, run: () => Promise<Usage & { stdout?: string }>): Promise<SyncRun> {
  await proxy.clear();
  const usage = await run();
  const summary = await proxy.summary();
  const heads = sumOf(summary, 'requests', /^HEAD manifests /);
  const all = sumOf(summary, 'requests', /./);
  return { usage, headsPerTag: heads / tags, otherPerTag: (all - heads) / tags, failed: failedTags(usage.stdout) };
}

/** The failed tags of a `sync --json` report. */
function failedTags(stdout: string | undefined): string[] {
  if (!stdout) return [];
  const report = JSON.parse(stdout) as { tags: Array<{ source: string; status: string; reason?: string }> };
  return report.tags.filter((t) => t.status === 'failed').map((t) => `${t.source}: ${t.reason ?? 'failed'}`);
}

const mirror = (repo: string) => `mirror/${repo.split('/').pop()}`;

/** `basegate sync` twice (first, no-op) over every seeded tag, into a fresh target. */
export async function basegateSyncRuns(cleanup: Cleanup, proxy: ProxyProcess, seeded: SeededTags, label: string): Promise<SyncRuns> {
  const target = cleanup.add(`${label} target docker-registry`, await startRegistry(), (r) => r.stop());
  const dir = cleanup.tempDir(`detect-sync-${label}`);
  const config = path.join(dir, 'basegate.yaml');
  const images = seeded.repos.map(({ repo, tags }) => `  - source: ${proxy.host}/${repo}\n    tags: [${tags.join(', ')}]\n    repository: ${mirror(repo)}`);
  fs.writeFileSync(config, ['target:', `  registry: "${target.host}"`, 'images:', ...images, ''].join('\n'));
  const tags = seeded.repos.reduce((n, r) => n + r.tags.length, 0);
  // Exit 1 (some tag failed) is reported with the reasons, not thrown: the figures still count.
  const first = await measured(proxy, tags, () => basegateSync(cleanup, config, [], [0, 1]));
  const noop = await measured(proxy, tags, () => basegateSync(cleanup, config, [], [0, 1]));
  const stateFile = path.join(dir, '.basegate', 'state.json');
  return { tags, first, noop, stateBytes: fs.existsSync(stateFile) ? fs.statSync(stateFile).size : undefined };
}

/** `skopeo sync --all` twice (first, no-op) over every seeded repository, into a fresh target. */
export async function skopeoSyncRuns(cleanup: Cleanup, proxy: ProxyProcess, seeded: SeededTags): Promise<SyncRuns> {
  const target = cleanup.add('skopeo target docker-registry', await startRegistry(), (r) => r.stop());
  const dir = cleanup.tempDir('detect-skopeo');
  const sources = seeded.repos.map(({ repo }) => `${proxy.host}/${repo}`);
  const tags = seeded.repos.reduce((n, r) => n + r.tags.length, 0);
  const run = () => skopeoSync(cleanup, sources, `${target.host}/mirror`, dir);
  return { tags, first: await measured(proxy, tags, run), noop: await measured(proxy, tags, run) };
}
