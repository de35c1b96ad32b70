/**
 * `npm run bench:sync` (issues #4, #20): basegate sync against skopeo sync and a bare reference
 * copier (reference-copier.ts: plain http, 8 in flight, no verification, no mounts) on the same
 * upstream in the same run. A local docker-registry upstream holds 10 repositories × 3 tags
 * (amd64 + arm64 indexes, 4 × 1 MiB layers per platform, one base layer shared by all). Each
 * repetition gives every contender a fresh target registry behind its own counting proxy (in
 * its own process) and times, for each: the first sync, a no-op re-sync, and a re-sync after 3
 * tags moved upstream. All run as processes (the built CLI, skopeo, the reference) under GNU
 * time, so each side's wall time, CPU (user + sys summed over its processes) and peak RSS (its
 * largest process) come from the kernel. The order rotates between repetitions. Prints the
 * medians of 3 repetitions, the ratios against the targets of issue #20, and the blob bytes each
 * uploaded next to the bytes of the blobs the target was missing.
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
import { megabytes, type Usage } from './process-usage';
import { basegateSync, referenceSync, skopeoSync, startFloor } from './sync-peers';
import { blobSizes, moveTags, restoreTags, seedUpstream, syncImageSet, type SyncUpstream, type Tagged } from './sync-seed';

const REPETITIONS = 3;
/** Issue #20's targets: wall time as a ratio of skopeo's, CPU as a ratio of skopeo's, basegate's peak RSS. */
const PHASES = [
  { name: 'first sync', target: 0.5, cpuTarget: 1.0, rssTarget: 100e6 },
  { name: 'no-op re-sync', target: 0.4, cpuTarget: undefined, rssTarget: 80e6 },
  { name: 're-sync, 3 tags moved', target: 0.4, cpuTarget: undefined, rssTarget: undefined },
] as const;
const CONTENDERS = ['basegate', 'skopeo', 'reference'] as const;
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
  const targets: Record<Contender, Target> = { basegate: await startTarget(cleanup), skopeo: await startTarget(cleanup), reference: await startTarget(cleanup) };
  const dir = cleanup.tempDir(`sync-${rep}`);
  const config = path.join(dir, 'basegate.yaml');
  const images = set.repos.map((repo) => `  - source: ${upstream.host}/${repo}\n    tags: [t0, t1, t2]\n    repository: ${targetRepo(repo)}`);
  fs.writeFileSync(config, ['target:', `  registry: "${targets.basegate.proxy.host}"`, 'images:', ...images, ''].join('\n'));
  const job = path.join(dir, 'reference-job.json');
  const referenceJob = { upstream: upstream.host, target: targets.reference.proxy.host, images: set.repos.map((repo) => ({ source: repo, target: targetRepo(repo), tags: ['t0', 't1', 't2'] })) };
  fs.writeFileSync(job, JSON.stringify(referenceJob));
  const runs: Record<Contender, () => Promise<Usage>> = {
    basegate: () => basegateSync(cleanup, config),
    skopeo: () => skopeoSync(cleanup, set.repos.map((r) => `${upstream.host}/${r}`), `${targets.skopeo.proxy.host}/mirror`, dir),
    reference: () => referenceSync(cleanup, job),
  };
  const inTarget = new Set<string>();
  const order = CONTENDERS.map((_, i) => CONTENDERS[(i + rep) % CONTENDERS.length]);
  for (const [p, phase] of PHASES.entries()) {
    if (p === 2) await moveTags({ host: upstream.host }, set);
    const expected = current(set, p === 2);
    const blobs = blobSizes(expected);
    results[p].missingBytes.push([...blobs].filter(([d]) => !inTarget.has(d)).reduce((n, [, size]) => n + size, 0));
    for (const who of order) {
      const sample = await measurePhase(targets[who], upstream.pid, expected, targetRepo, runs[who]);
      results[p].samples[who].push(sample);
      process.stdout.write(`  repetition ${rep + 1}, ${phase.name}, ${who}: ${sample.seconds.toFixed(2)} s, CPU ${cpuText(sample.cpu ?? NaN)} s, peak RSS ${megabytes(sample.peakRss)}, ${sample.blobBytes} blob bytes up, ${sample.requests} requests\n`);
    }
    for (const d of blobs.keys()) inTarget.add(d);
  }
}

const bytes = (n: number) => n.toLocaleString('en-US');

const verdict = (ratio: number, target: number | undefined) => (target === undefined ? '-' : `≤ ${target} ${ratio <= target ? 'ok' : 'MISS'}`);

function report(results: PhaseResult[]): string {
  const header = ['phase', 'basegate s', 'skopeo s', 'reference s', 'b/skopeo', 'target', 'b/reference', 'CPU s b/s/r', 'CPU b/skopeo', 'target', 'peak RSS b/s/r', 'RSS target', 'basegate blob bytes up', 'missing blob bytes', '= missing', 'requests b/s/r'];
  const rows = PHASES.map((phase, p) => {
    const r = results[p];
    const med = (who: Contender, f: (s: PhaseSample) => number) => median(r.samples[who].map(f));
    const wall = (who: Contender) => med(who, (x) => x.seconds);
    const cpu = (who: Contender) => med(who, (x) => x.cpu ?? NaN);
    const rss = (who: Contender) => med(who, (x) => x.peakRss ?? NaN);
    const ratio = wall('basegate') / wall('skopeo');
    const cpuRatio = cpu('basegate') / cpu('skopeo');
    const bBytes = r.samples.basegate.map((x) => x.blobBytes);
    const equal = bBytes.every((n, i) => n === r.missingBytes[i]);
    return [
      phase.name,
      wall('basegate').toFixed(2),
      wall('skopeo').toFixed(2),
      wall('reference').toFixed(2),
      `${ratio.toFixed(2)}x`,
      verdict(ratio, phase.target),
      `${(wall('basegate') / wall('reference')).toFixed(2)}x`,
      CONTENDERS.map((w) => cpuText(cpu(w))).join(' / '),
      Number.isNaN(cpuRatio) ? '-' : `${cpuRatio.toFixed(2)}x`,
      verdict(cpuRatio, phase.cpuTarget),
      CONTENDERS.map((w) => megabytes(Number.isNaN(rss(w)) ? undefined : rss(w))).join(' / '),
      phase.rssTarget === undefined ? '-' : `≤ ${megabytes(phase.rssTarget)} ${rss('basegate') <= phase.rssTarget ? 'ok' : 'MISS'}`,
      bytes(median(bBytes)),
      bytes(median(r.missingBytes)),
      equal ? 'yes' : 'NO',
      CONTENDERS.map((w) => String(med(w, (x) => x.requests))).join(' / '),
    ];
  });
  return formatTable([header, ...rows]);
}

/** Bytes each side uploaded and the CPU of the registries and proxies, per phase. */
function detail(results: PhaseResult[]): string {
  const header = ['phase', 'blob bytes up b/s/r', 'manifest bytes up b/s/r', 'registries CPU s b/s/r', 'proxy CPU s b/s/r'];
  const rows = PHASES.map((phase, p) => {
    const med = (who: Contender, f: (s: PhaseSample) => number) => median(results[p].samples[who].map(f));
    return [
      phase.name,
      CONTENDERS.map((w) => bytes(med(w, (x) => x.blobBytes))).join(' / '),
      CONTENDERS.map((w) => bytes(med(w, (x) => x.manifestBytes))).join(' / '),
      CONTENDERS.map((w) => cpuText(med(w, (x) => x.registryCpu ?? NaN))).join(' / '),
      CONTENDERS.map((w) => cpuText(med(w, (x) => x.proxyCpu ?? NaN))).join(' / '),
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
  process.stdout.write(
    [
      'basegate: /usr/bin/time node dist/functions/cli.js sync --config FILE --json (defaults)',
      'skopeo: /usr/bin/time skopeo sync --all --preserve-digests --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false SRC DEST, one call per repository',
      'reference: /usr/bin/time node -r test/helpers/ts-register.cjs bench/reference-copier.ts JOB (plain http, 8 in flight, no verification, no mounts)',
      'targets (issue #20): first sync ≤ 0.5x skopeo, CPU ≤ 1.0x skopeo, peak RSS ≤ 100 MB; re-sync after 3 moved ≤ 0.4x; no-op ≤ 0.4x, peak RSS ≤ 80 MB; blob bytes up = missing',
      '',
      '',
    ].join('\n'),
  );
  const results: PhaseResult[] = PHASES.map(() => ({ samples: { basegate: [], skopeo: [], reference: [] }, missingBytes: [] }));
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
  process.stdout.write(`\nmedians of ${REPETITIONS} repetitions (fresh targets each); b/s/r = basegate / skopeo / reference\n${report(results)}\n\n${detail(results)}\n`);
  process.stdout.write(`\nthe floor the registries set (CPU they used during basegate's run, spread over every core):\n${registryFloors(results)}\n`);
  process.stdout.write(
    `process start alone (median of ${REPETITIONS}): basegate (node dist/functions/cli.js --help) ${median(floors.map((f) => f.basegate)).toFixed(2)} s; skopeo --version × ${set.repos.length} ${median(floors.map((f) => f.skopeo)).toFixed(2)} s\n`,
  );
}

runBench('bench:sync — basegate sync vs skopeo sync --all, 10 repositories × 3 multi-arch tags', bench);
