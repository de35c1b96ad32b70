/**
 * The direction of dependencies and the naming rules, enforced (as ggcr's depcheck_test.go does):
 * - functions/pipeline/ talks to ports only: no SDK, no HTTP client, no adapters;
 * - only functions/azure/ imports the @azure SDKs (the Functions entry and handlers use @azure/functions);
 * - file names are kebab-case; no file grows past 400 lines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gms), ...text.matchAll(/require\(['"]([^'"]+)['"]\)/g)].map((m) => m[1]);
}

const functionsDir = path.join(ROOT, 'functions');
const files = sourceFiles(functionsDir);
const rel = (f: string) => path.relative(ROOT, f);

/** Checks a rule and returns the offending `file: import` pairs. */
function violations(list: string[], allowed: (file: string, spec: string) => boolean): string[] {
  return list.flatMap((f) => importsOf(f).filter((spec) => !allowed(f, spec)).map((spec) => `${rel(f)}: ${spec}`));
}

// zod (schemas at the boundary, such as queue messages) and node:crypto (hashing) compute; they reach nothing outside.
// telemetry/metrics and telemetry/tracing record through @opentelemetry/api, a no-op until an SDK is installed.
const PIPELINE_MAY_IMPORT = [/^\.\//, /^\.\.\/telemetry\/(metrics|tracing)$/, /^\.\.\/errors$/, /^\.\.\/map-limit$/, /^\.\.\/oci\/(reference|registry-port|schema|media-types)$/, /^zod$/, /^node:crypto$/];

describe('architecture', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('functions/pipeline imports only ports, types and the error module', () => {
    const pipeline = files.filter((f) => f.startsWith(path.join(functionsDir, 'pipeline') + path.sep));
    expect(pipeline.length).toBeGreaterThan(5);
    expect(violations(pipeline, (_f, spec) => PIPELINE_MAY_IMPORT.some((r) => r.test(spec)))).toEqual([]);
  });

  it('what the pipeline records telemetry through loads @opentelemetry/api only (the SDKs load when serve or OTEL_* settings ask)', () => {
    const recording = ['metrics.ts', 'tracing.ts'].map((f) => path.join(functionsDir, 'telemetry', f));
    expect(violations(recording, (_f, spec) => spec === '@opentelemetry/api')).toEqual([]);
  });

  it('only functions/azure imports the @azure SDKs (and the Functions entry @azure/functions)', () => {
    const allowed = (f: string, spec: string) => {
      if (!spec.startsWith('@azure/')) return true;
      if (f.startsWith(path.join(functionsDir, 'azure') + path.sep)) return true;
      return spec === '@azure/functions' && (rel(f) === 'functions/app.ts' || f.includes(`${path.sep}handlers${path.sep}`));
    };
    expect(violations(files, allowed)).toEqual([]);
  });

  it('the rule can fail: a pipeline file importing undici is reported', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-'));
    const planted = path.join(tmp, 'planted.ts');
    fs.writeFileSync(planted, "import { request } from 'undici';\nimport type { Clock } from './ports';\n");
    expect(violations([planted], (_f, spec) => PIPELINE_MAY_IMPORT.some((r) => r.test(spec)))).toEqual([`${rel(planted)}: undici`]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('file names are kebab-case', () => {
    const all = [...files, ...sourceFiles(path.join(ROOT, 'test'))];
    expect(all.filter((f) => !/^[a-z0-9]+(-[a-z0-9]+)*(\.test)?\.ts$/.test(path.basename(f))).map(rel)).toEqual([]);
  });

  it('no source file grows past 400 lines', () => {
    expect(files.filter((f) => fs.readFileSync(f, 'utf8').split('\n').length > 400).map(rel)).toEqual([]);
  });
});
