/**
 * The CLI loads `@opentelemetry/api` alone unless `OTEL_*` settings ask for an exporter (issue
 * #19: start-up must not grow): a sync in its own process is checked for which packages it
 * required, without settings, with `OTEL_TRACES_EXPORTER=console`, and with a value basegate
 * has no exporter for (a clear error, exit 2, nothing touched).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { otelExporterNames, wantsExporter } from '../../functions/telemetry/otel-settings';
import { runCliChild } from '../helpers/cli-child';

let dir: string;
let config: string;
const hook = () => path.join(dir, 'loaded.js');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-otel-'));
  // At exit, print the node_modules packages the process required.
  fs.writeFileSync(hook(), "process.on('exit', () => { const p = new Set(Object.keys(require.cache).filter((k) => k.includes('/node_modules/@opentelemetry/')).map((k) => k.split('/node_modules/')[1].split('/').slice(0, 2).join('/'))); process.stderr.write('LOADED ' + JSON.stringify([...p].sort()) + '\\n'); });\n");
  config = path.join(dir, 'basegate.yaml');
  // Nothing listens on port 9: the sync fails its detect fast, after loading the whole pipeline.
  fs.writeFileSync(config, ['target:', `  layout: ${path.join(dir, 'layout')}`, 'images:', '  - source: 127.0.0.1:9/library/busybox', '    tags: [latest]', 'registries:', '  "127.0.0.1:9": { insecure: true, concurrency: 1 }'].join('\n'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NO_OTEL = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('OTEL_')).map((k) => [k, undefined]));

async function loadedBySync(env: Record<string, string | undefined>): Promise<{ code: number; loaded: string[]; stderr: string }> {
  const result = await runCliChild(['sync', '--config', config], { ...NO_OTEL, NODE_OPTIONS: `--require ${hook()}`, ...env });
  const line = result.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  return { code: result.code, loaded: line ? JSON.parse(line.slice(7)) : [], stderr: result.stderr };
}

describe('what the CLI loads of OpenTelemetry', () => {
  it('a sync without OTEL_* settings loads @opentelemetry/api only', async () => {
    const { code, loaded } = await loadedBySync({});
    expect(code).toBe(1); // the detect failed, as planned: the pipeline ran
    expect(loaded).toEqual(['@opentelemetry/api']);
  }, 60_000);

  it('OTEL_TRACES_EXPORTER=console loads the trace SDK', async () => {
    const { loaded } = await loadedBySync({ OTEL_TRACES_EXPORTER: 'console' });
    expect(loaded).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/context-async-hooks']));
  }, 60_000);

  it('an exporter basegate does not have is a usage error that names the setting', async () => {
    const { code, stderr } = await loadedBySync({ OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/OTEL_TRACES_EXPORTER=zipkin: zipkin is not an exporter basegate has; expected otlp, console, none/);
  }, 60_000);
});

describe('otelExporterNames', () => {
  it.each([
    [{}, { traces: [], metrics: [] }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, { traces: ['otlp'], metrics: ['otlp'] }],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, { traces: ['otlp'], metrics: [] }],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, { traces: [], metrics: ['otlp'] }],
    [{ OTEL_METRICS_EXPORTER: 'prometheus' }, { traces: [], metrics: ['prometheus'] }],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'console' }, { traces: [], metrics: [] }],
  ])('%j → %j', (env, expected) => {
    expect(otelExporterNames(env)).toEqual(expected);
  });

  it('prometheus alone asks nothing of a command other than serve', () => {
    expect(wantsExporter({ OTEL_METRICS_EXPORTER: 'prometheus' })).toBe(false);
    expect(wantsExporter({ OTEL_METRICS_EXPORTER: 'console' })).toBe(true);
  });
});
