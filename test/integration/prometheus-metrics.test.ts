/**
 * The metrics of issue #19 after real syncs (the CLI's `main`, in process, over the real
 * registries with the upstream behind the counting fault proxy), read as Prometheus text from
 * telemetry/prometheus.ts (what serve's `/metrics` answers) and parsed strictly: every value
 * matches what the run did, counted independently (the proxy's request log, the audit's
 * verdicts, the clock).
 */
import { renderMetrics, startServeTelemetry, stopServeTelemetry } from '../../functions/telemetry/prometheus';
import { METRIC } from '../../functions/telemetry/metrics';
import { FileStateStore } from '../../functions/state/file-state-store';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { runCli } from '../helpers/cli-run';
import { at, cliWorkspace, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { parsePrometheusText, sampleValue, type Sample } from '../helpers/prometheus-text';
import { uniqueRepo } from '../servers/test-env';

const T0 = '2026-03-01T00:00:00Z';
const T1 = '2026-03-01T02:00:00Z'; // two hours later: past the 1h cooldown

let proxy: FaultProxy;
let ws: CliWorkspace;

beforeAll(async () => {
  // Docker Hub's rate-limit headers on manifest reads (https://docs.docker.com/docker-hub/usage/pulls/).
  proxy = await startFaultProxy({ upstream: `http://${upstreamRegistry().host}`, rules: [{ path: /\/manifests\//, setHeaders: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '42;w=21600' } }] });
  ws = cliWorkspace('basegate-metrics-');
  await startServeTelemetry({ env: {} });
});
afterAll(async () => {
  await stopServeTelemetry();
  ws?.cleanup();
  await proxy?.stop();
});

async function metrics(): Promise<Sample[]> {
  return parsePrometheusText(await renderMetrics());
}

describe('Prometheus metrics of real syncs', () => {
  it('tags tracked, promotions, gate verdicts, promotion lag, registry requests, rate limit and poisoned messages match the run', async () => {
    const cooled = uniqueRepo('cooled');
    const rejected = uniqueRepo('rejected');
    await pushImage(upstreamRegistry(), cooled, ['a'], synthImage({ seed: `${cooled}-a`, layers: 1 }));
    await pushImage(upstreamRegistry(), cooled, ['b'], synthImage({ seed: `${cooled}-b`, layers: 1 }));
    await pushImage(upstreamRegistry(), rejected, ['r'], synthImage({ seed: `${rejected}-r`, layers: 1, layerSize: 4000 }));
    const config = ws.writeConfig(
      [
        `  - source: ${proxy.host}/${cooled}`,
        '    tags: [a, b]',
        `    repository: ${uniqueRepo('base')}`,
        '    gates: { cooldown: 1h }',
        `  - source: ${proxy.host}/${rejected}`,
        '    tags: [r]',
        `    repository: ${uniqueRepo('base')}`,
        '    gates: { maxSize: 1KB }',
      ].join('\n'),
    );
    proxy.clearLog();

    const first = await at(T0, () => runCli('sync', '--config', config, '--json'));
    expect(JSON.parse(first.stdout).totals).toMatchObject({ pending: 2, rejected: 1 });
    const before = await metrics();
    expect(sampleValue(before, METRIC.promotions)).toBeUndefined(); // nothing promoted yet: no series
    expect(sampleValue(before, METRIC.tagsTracked)).toBe(3);

    const second = await at(T1, () => runCli('sync', '--config', config, '--json'));
    expect(JSON.parse(second.stdout).totals).toMatchObject({ promoted: 2, rejected: 1 });
    const after = await metrics();

    expect(sampleValue(after, METRIC.tagsTracked)).toBe(3);
    expect(sampleValue(after, METRIC.promotions)).toBe(2);
    // First seen at T0 by the CLI clock, promoted at T1: 7200 s each, the cooldown included
    // (BASEGATE_NOW starts the clock there and lets it run: the seconds each sync took are added).
    expect(sampleValue(after, `${METRIC.promotionLag}_count`)).toBe(2);
    const lag = sampleValue(after, `${METRIC.promotionLag}_sum`)!;
    expect(lag).toBeGreaterThanOrEqual(2 * 7200 - 2 * 60);
    expect(lag).toBeLessThanOrEqual(2 * 7200 + 2 * 60);
    expect(sampleValue(after, `${METRIC.promotionLag}_bucket`, { le: '3600' })).toBe(0);
    expect(sampleValue(after, `${METRIC.promotionLag}_bucket`, { le: '10800' })).toBe(2);

    // Gate verdicts: exactly what the audit recorded, gate by gate.
    const state = await FileStateStore.open(ws.stateFile(), { readOnly: true });
    const audit = (await state.listAudit()).filter((a) => a.stage === 'validate');
    await state.close();
    const expected: Record<string, number> = {};
    for (const a of audit) for (const g of (a.detail as { gates: Array<{ gate: string; outcome: string }> }).gates) expected[`${g.gate}/${g.outcome}`] = (expected[`${g.gate}/${g.outcome}`] ?? 0) + 1;
    const verdicts = Object.fromEntries(after.filter((s) => s.name === METRIC.gateVerdicts).map((s) => [`${s.labels.gate}/${s.labels.outcome}`, s.value]));
    expect(verdicts).toEqual(expected);
    expect(verdicts).toMatchObject({ 'cooldown/pending': 2, 'cooldown/pass': 2, 'maxSize/fail': 1 });

    // Registry requests to the upstream: exactly the proxy's log, by method and status.
    const seen: Record<string, number> = {};
    for (const e of proxy.log) seen[`${e.method} ${e.status}`] = (seen[`${e.method} ${e.status}`] ?? 0) + 1;
    const counted = Object.fromEntries(after.filter((s) => s.name === METRIC.registryRequests && s.labels.host === proxy.host).map((s) => [`${s.labels.method} ${s.labels.status}`, s.value]));
    expect(counted).toEqual(seen);
    expect(counted['HEAD 200']).toBeGreaterThanOrEqual(6); // one HEAD per tag per sync at least
    expect(sampleValue(after, METRIC.rateLimitRemaining, { host: proxy.host })).toBe(42);
    expect(sampleValue(after, METRIC.poisonedMessages)).toBe(0);
  });
});
