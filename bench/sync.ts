/**
 * `npm run bench:sync` (issue #4): basegate sync against skopeo sync on the same upstream in
 * the same run. A local docker-registry upstream holds 10 repositories × 3 tags (amd64 + arm64
 * indexes, 4 × 1 MiB layers per platform, one base layer shared by all). Each repetition gives
 * both contenders a fresh target registry behind its own counting proxy (in its own process)
 * and times, for each: the first sync, a no-op re-sync, and a re-sync after 3 tags moved
 * upstream. Both run as processes (the built CLI, skopeo). The order of the two alternates
 * between repetitions. Prints the medians of 3 repetitions, the ratios, and the blob bytes
 * each uploaded next to the bytes of the blobs the target was missing.
 * Targets: first sync ≤ 0.5× skopeo, no-op ≤ 0.2×, basegate's blob bytes = missing bytes.
 * It also prints the CPU the registries and the proxy used during each run (from /proc), and
 * the time that alone sets as a floor for any client on this machine's cores.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry, type RegistryServer } from '../test/servers/registry-server';
import { Cleanup, formatTable, median, runBench } from './bench-run';
import { startProxyProcess } from './proxy-process';
import { measurePhase, type PhaseSample, type Target } from './sync-phase';
import { basegateSync, skopeoSync, startFloor } from './sync-peers';
import { blobSizes, moveTags, restoreTags, seedUpstream, syncImageSet, type SyncUpstream, type Tagged } from './sync-seed';

const REPETITIONS = 3;
const PHASES = [
  { name: 'first sync', target: 0.5 },
  { name: 'no-op re-sync', target: 0.2 },
  { name: 're-sync, 3 tags moved', target: undefined },
] as const;
const CONTENDERS = ['basegate', 'skopeo'] as const;
type Contender = (typeof CONTENDERS)[number];

interface PhaseResult {
  samples: Record<Contender, PhaseSample[]>;
  missingBytes: number[];
}

const targetRepo = (sourceRepo: string) => `mirror/${sourceRepo.split('/').pop()}`;

async function startTarget(cleanup: Cleanup): Promise<Target> {
  const registry = cleanup.add('target docker-registry', await startRegistry(), (r) => r.stop());
  const proxy = cleanup.add('target counting proxy', await startProxyProcess(`http://${registry.host}`), (p) => p.stop());
  return { registry: registry.host, registryPid: registry.pid, proxy };
}

/** The tags as they are upstream now. */
function current(set: SyncUpstream, moved: boolean): Tagged[] {
  if (!moved) return set.original;
  return set.original.map((o) => set.moved.find((m) => m.repo === o.repo && m.tag === o.tag) ?? o);
}

async function repetition(cleanup: Cleanup, upstream: RegistryServer, set: SyncUpstream, rep: number, results: PhaseResult[]): Promise<void> {
  await restoreTags({ host: upstream.host }, set);
  const targets: Record<Contender, Target> = { basegate: await startTarget(cleanup), skopeo: await startTarget(cleanup) };
  const dir = cleanup.tempDir(`sync-${rep}`);
  const config = path.join(dir, 'basegate.yaml');
  const images = set.repos.map((repo) => `  - source: ${upstream.host}/${repo}\n    tags: [t0, t1, t2]\n    repository: ${targetRepo(repo)}`);
  fs.writeFileSync(config, ['target:', `  registry: "${targets.basegate.proxy.host}"`, 'images:', ...images, ''].join('\n'));
  const runs: Record<Contender, () => Promise<unknown>> = {
    basegate: () => basegateSync(cleanup, config),
    skopeo: () => skopeoSync(cleanup, set.repos.map((r) => `${upstream.host}/${r}`), `${targets.skopeo.proxy.host}/mirror`, dir),
  };
  const inTarget = new Set<string>();
  const order = rep % 2 === 0 ? CONTENDERS : ([...CONTENDERS].reverse() as Contender[]);
  for (const [p, phase] of PHASES.entries()) {
    if (p === 2) await moveTags({ host: upstream.host }, set);
    const expected = current(set, p === 2);
    const blobs = blobSizes(expected);
    results[p].missingBytes.push([...blobs].filter(([d]) => !inTarget.has(d)).reduce((n, [, size]) => n + size, 0));
    for (const who of order) {
      const sample = await measurePhase(targets[who], upstream.pid, expected, targetRepo, runs[who]);
      results[p].samples[who].push(sample);
      process.stdout.write(`  repetition ${rep + 1}, ${phase.name}, ${who}: ${sample.seconds.toFixed(2)} s, ${sample.blobBytes} blob bytes up, ${sample.requests} requests\n`);
    }
    for (const d of blobs.keys()) inTarget.add(d);
  }
}

const bytes = (n: number) => n.toLocaleString('en-US');

function report(results: PhaseResult[]): string {
  const header = ['phase', 'basegate s', 'skopeo s', 'ratio', 'target', 'basegate blob bytes up', 'skopeo blob bytes up', 'missing blob bytes', 'basegate = missing', 'manifest bytes up b/s', 'requests b/s', 'registries CPU s b/s', 'proxy CPU s b/s'];
  const rows = PHASES.map((phase, p) => {
    const r = results[p];
    const med = (who: Contender, f: (s: PhaseSample) => number) => median(r.samples[who].map(f));
    const b = med('basegate', (s) => s.seconds);
    const s = med('skopeo', (x) => x.seconds);
    const ratio = b / s;
    const missing = median(r.missingBytes);
    const bBytes = r.samples.basegate.map((x) => x.blobBytes);
    const equal = bBytes.every((n, i) => n === r.missingBytes[i]);
    return [
      phase.name,
      b.toFixed(2),
      s.toFixed(2),
      `${ratio.toFixed(2)}x`,
      phase.target === undefined ? '-' : `≤ ${phase.target}x ${ratio <= phase.target ? 'ok' : 'MISS'}`,
      bytes(median(bBytes)),
      bytes(med('skopeo', (x) => x.blobBytes)),
      bytes(missing),
      equal ? 'yes' : 'NO',
      `${bytes(med('basegate', (x) => x.manifestBytes))} / ${bytes(med('skopeo', (x) => x.manifestBytes))}`,
      `${med('basegate', (x) => x.requests)} / ${med('skopeo', (x) => x.requests)}`,
      `${cpuText(med('basegate', (x) => x.registryCpu ?? NaN))} / ${cpuText(med('skopeo', (x) => x.registryCpu ?? NaN))}`,
      `${cpuText(med('basegate', (x) => x.proxyCpu ?? NaN))} / ${cpuText(med('skopeo', (x) => x.proxyCpu ?? NaN))}`,
    ];
  });
  return formatTable([header, ...rows]);
}

const cpuText = (seconds: number) => (Number.isNaN(seconds) ? '-' : seconds.toFixed(2));

/**
 * What the registries alone allow: during basegate's run the two registries (and the counting
 * proxy) burn CPU any client would make them burn; spread over every core, that is a time no
 * client can beat, printed as a ratio to skopeo's time next to the target.
 */
function registryFloors(results: PhaseResult[]): string {
  const cores = os.cpus().length;
  return PHASES.map((phase, p) => {
    const r = results[p];
    const registries = median(r.samples.basegate.map((x) => x.registryCpu ?? NaN));
    const proxy = median(r.samples.basegate.map((x) => x.proxyCpu ?? NaN));
    const skopeo = median(r.samples.skopeo.map((x) => x.seconds));
    if (Number.isNaN(registries)) return `${phase.name}: registry CPU not measurable here (no /proc)`;
    const floor = registries / cores;
    const withProxy = (registries + proxy) / cores;
    return `${phase.name}: registries ${registries.toFixed(2)} s CPU (+ proxy ${proxy.toFixed(2)} s) during basegate's run → no client can take under ${floor.toFixed(2)} s (${withProxy.toFixed(2)} s with the proxy) on ${cores} cores = ${(floor / skopeo).toFixed(2)}x (${(withProxy / skopeo).toFixed(2)}x) skopeo's time${phase.target === undefined ? '' : `; target ${phase.target}x`}`;
  }).join('\n');
}

async function bench(cleanup: Cleanup): Promise<void> {
  const upstream = cleanup.add('upstream docker-registry', await startRegistry(), (r) => r.stop());
  const set = syncImageSet();
  const started = performance.now();
  await seedUpstream({ host: upstream.host }, set);
  const distinct = blobSizes([...set.original, ...set.moved]);
  process.stdout.write(
    `seeded ${set.original.length} tags in ${set.repos.length} repositories on ${upstream.host}, ${bytes([...blobSizes(set.original).values()].reduce((a, b) => a + b, 0))} blob bytes (${distinct.size} distinct blobs with the moved tags) in ${((performance.now() - started) / 1000).toFixed(1)} s (not measured)\n`,
  );
  process.stdout.write(`basegate: node dist/functions/cli.js sync --config FILE --json (defaults); skopeo: skopeo sync --all --preserve-digests --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false, one call per repository\n\n`);
  const results: PhaseResult[] = PHASES.map(() => ({ samples: { basegate: [], skopeo: [] }, missingBytes: [] }));
  for (let rep = 0; rep < REPETITIONS; rep++) {
    const perRep = cleanup.add('repetition', new Cleanup(), (c) => c.run());
    try {
      await repetition(perRep, upstream, set, rep, results);
    } finally {
      await perRep.run(); // frees the targets' disk and ports before the next repetition
    }
  }
  const floors = [];
  for (let i = 0; i < REPETITIONS; i++) floors.push(await startFloor(cleanup, set.repos.length, upstream.dir));
  process.stdout.write(`\nmedians of ${REPETITIONS} repetitions (fresh targets each); b/s = basegate / skopeo\n${report(results)}\n`);
  process.stdout.write(`\nthe floor the registries set (CPU they used during basegate's run, spread over every core):\n${registryFloors(results)}\n`);
  process.stdout.write(
    `process start alone (median of ${REPETITIONS}): basegate (node dist/functions/cli.js --help) ${median(floors.map((f) => f.basegate)).toFixed(2)} s; skopeo --version × ${set.repos.length} ${median(floors.map((f) => f.skopeo)).toFixed(2)} s\n`,
  );
}

runBench('bench:sync — basegate sync vs skopeo sync --all, 10 repositories × 3 multi-arch tags', bench);
