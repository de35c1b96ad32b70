/**
 * `npm run bench:coldstart` (issue #20): what every new Functions instance pays before its first
 * invocation. In fresh `node` processes (5 of each, alternating), with valid app settings and a
 * valid basegate.yaml:
 *
 * - app: `require('dist/functions/app.js')`, which reads the settings, parses and validates the
 *   config (so a bad one fails loudly at start-up) and registers the functions;
 * - dependencies: `require()` of every package in package.json `dependencies`, eagerly, the
 *   cost of an app that loads everything at start;
 * - config floor (for reference): the packages start-up cannot do without (@azure/functions,
 *   yaml, zod, re2js, cron-parser, semver).
 *
 * For each: the time of the `require` itself (performance.now() around it, inside the process),
 * the time from process start to loaded (Node's own boot included), and the peak RSS (GNU time).
 * Target: app load ≤ 0.5 × the eager dependency load (medians). Node's compile cache
 * (`module.enableCompileCache`, Node ≥ 22.1) is measured as a fourth row where it exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cleanup, formatTable, median, runBench } from './bench-run';
import { megabytes, measuredCommand } from './process-usage';
import { runProcess } from './sync-peers';

const ROUNDS = 5;
const TARGET = 0.5;
const ROOT = path.join(__dirname, '..');
const APP = path.join(ROOT, 'dist', 'functions', 'app.js');
const CONFIG_FLOOR = ['@azure/functions', 'yaml', 'zod', 're2js', 'cron-parser', 'semver'];

interface Sample {
  /** ms spent in the require calls. */
  load: number;
  /** CPU ms (user + system) the require calls took: steadier than wall time on a shared machine. */
  loadCpu: number;
  /** ms from process start to loaded. */
  sinceStart: number;
  /** Whole process, spawn to exit, ms. */
  process: number;
  peakRss?: number;
}

interface Subject {
  name: string;
  /** Module ids to require, in order. */
  modules: string[];
  env?: Record<string, string>;
}

/** A script that requires the modules and prints the timings as JSON on its last stdout line. */
function script(modules: string[]): string {
  return [
    `const cpu = process.cpuUsage();`,
    `const started = performance.now();`,
    `for (const m of ${JSON.stringify(modules)}) require(m);`,
    `const end = performance.now();`,
    `const used = process.cpuUsage(cpu);`,
    `process.stdout.write('\\n' + JSON.stringify({ load: end - started, loadCpu: (used.user + used.system) / 1000, sinceStart: end }) + '\\n');`,
  ].join('\n');
}

async function sample(cleanup: Cleanup, subject: Subject, env: NodeJS.ProcessEnv): Promise<Sample> {
  const measured = measuredCommand(process.execPath, ['-e', script(subject.modules)]);
  const started = performance.now();
  const result = await runProcess(cleanup, measured.command, measured.args, ROOT, { ...env, ...subject.env });
  const wall = performance.now() - started;
  if (result.code !== 0) throw new Error(`${subject.name}: exited ${result.code}: ${result.stderr.slice(-2000)}`);
  const timings = JSON.parse(result.stdout.trim().split('\n').pop()!) as { load: number; loadCpu: number; sinceStart: number };
  return { ...timings, process: wall, peakRss: measured.read(wall / 1000).peakRss };
}

async function bench(cleanup: Cleanup): Promise<void> {
  if (!fs.existsSync(APP)) throw new Error(`${APP} is missing: run npm run build first`);
  const dir = cleanup.tempDir('coldstart');
  const config = path.join(dir, 'basegate.yaml');
  fs.writeFileSync(
    config,
    ['target:', '  registry: contosobase.azurecr.io', 'images:', '  - source: docker.io/library/node', '    tags: ["20-alpine", "22-alpine"]', '    repository: base/node', '    gates:', '      maxSize: 500MB', ''].join('\n'),
  );
  // Valid settings, as a deployed app has them; nothing is contacted at load.
  const env = { ...process.env, BASEGATE_CONFIG_PATH: config, AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
  const dependencies = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  const subjects: Subject[] = [
    { name: 'app (dist/functions/app.js)', modules: [APP] },
    { name: `dependencies, eager (${dependencies.length} packages)`, modules: dependencies },
    { name: 'config floor (for reference)', modules: CONFIG_FLOOR },
  ];
  const compileCache = (await import('node:module')) as { enableCompileCache?: unknown };
  if (typeof compileCache.enableCompileCache === 'function') {
    subjects.push({ name: 'app with NODE_COMPILE_CACHE (warm)', modules: [APP], env: { NODE_COMPILE_CACHE: cleanup.tempDir('compile-cache') } });
  }
  process.stdout.write(`each row: ${ROUNDS} fresh processes of /usr/bin/time node -e "require(...)" with BASEGATE_CONFIG_PATH=${config} AzureWebJobsStorage=UseDevelopmentStorage=true, rows alternating\n`);
  if (typeof compileCache.enableCompileCache !== 'function') process.stdout.write(`module.enableCompileCache: not in node ${process.version} (needs ≥ 22.1), not measured\n`);
  process.stdout.write('\n');
  const samples = subjects.map(() => [] as Sample[]);
  // One unmeasured round warms the disk cache (and the compile cache) the same for every row.
  for (const s of subjects) await sample(cleanup, s, env);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, s] of subjects.entries()) samples[i].push(await sample(cleanup, s, env));
  }
  const med = (i: number, f: (s: Sample) => number) => median(samples[i].map(f));
  const rows = subjects.map((s, i) => [
    s.name,
    med(i, (x) => x.load).toFixed(0),
    med(i, (x) => x.loadCpu).toFixed(0),
    med(i, (x) => x.sinceStart).toFixed(0),
    med(i, (x) => x.process).toFixed(0),
    megabytes(med(i, (x) => x.peakRss ?? NaN) || undefined),
  ]);
  process.stdout.write(`${formatTable([['medians of 5', 'require ms', 'require CPU ms', 'process start → loaded ms', 'whole process ms', 'peak RSS'], ...rows])}\n\n`);
  const ratio = med(0, (x) => x.load) / med(1, (x) => x.load);
  const cpuRatio = med(0, (x) => x.loadCpu) / med(1, (x) => x.loadCpu);
  const whole = med(0, (x) => x.sinceStart) / med(1, (x) => x.sinceStart);
  const ok = (r: number) => (r <= TARGET ? 'ok' : 'MISS');
  process.stdout.write(`app load / eager dependency load: ${ratio.toFixed(2)} wall (target ≤ ${TARGET}: ${ok(ratio)}), ${cpuRatio.toFixed(2)} CPU (${ok(cpuRatio)}); from process start, Node's boot in both: ${whole.toFixed(2)}\n`);
}

runBench('bench:coldstart — loading the Functions app vs loading its dependencies eagerly', bench);
