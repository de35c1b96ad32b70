/**
 * basegate's metrics, named once (issue #19): recorded through `@opentelemetry/api` only, so a
 * process that starts no SDK (a plain `basegate sync`) pays for a no-op and loads nothing more.
 * Whoever starts an SDK (telemetry-sdk.ts: `serve`, `OTEL_*` settings; azure/azure-monitor.ts:
 * Application Insights) gives these instruments a home; the same names reach Prometheus
 * (`/metrics`) and Azure Monitor.
 *
 * - `basegate_tags_tracked`: tags the tracked images follow now (gauge, set by each full detect).
 * - `basegate_promotions_total`: digests promoted (counter; redeliveries that copy nothing do not count).
 * - `basegate_gate_verdicts_total{gate,outcome}`: each gate's outcome on each evaluated digest (pass, fail, pending).
 * - `basegate_promotion_lag_seconds`: upstream change first seen → promoted, cooldowns and holds included (histogram).
 * - `basegate_registry_requests_total{host,method,status}`: registry exchanges (telemetry/registry-metrics.ts).
 * - `basegate_ratelimit_remaining{host}`: the last `ratelimit-remaining` a registry reported (gauge).
 * - `basegate_poisoned_messages`: messages waiting in the poison queues (gauge, set by the poison watch).
 *
 * The API's global MeterProvider can be set after this module loaded (serve starts the SDK after
 * its imports), so instruments are bound to the provider current at each record, once per provider.
 */
import { metrics, type Attributes, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

/** The metric names, as Prometheus and Azure Monitor show them. */
export const METRIC = {
  tagsTracked: 'basegate_tags_tracked',
  promotions: 'basegate_promotions_total',
  gateVerdicts: 'basegate_gate_verdicts_total',
  promotionLag: 'basegate_promotion_lag_seconds',
  registryRequests: 'basegate_registry_requests_total',
  rateLimitRemaining: 'basegate_ratelimit_remaining',
  poisonedMessages: 'basegate_poisoned_messages',
} as const;

/** Lag buckets, in seconds: a minute to a week (a cooldown of days, a hold waiting for a person). */
const LAG_BUCKETS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400];

interface Instruments {
  promotions: Counter;
  gateVerdicts: Counter;
  promotionLag: Histogram;
  registryRequests: Counter;
}

// What the gauges report when observed: the last values set, kept here so any provider can read them.
const tagsTracked = new Map<string, number>();
const rateLimitRemaining = new Map<string, number>();
let poisonedMessages: number | undefined;

let bound: { provider: MeterProvider; instruments: Instruments } | undefined;

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (bound?.provider === provider) return bound.instruments;
  const meter = provider.getMeter('basegate');
  const made: Instruments = {
    promotions: meter.createCounter(METRIC.promotions, { description: 'Digests promoted into the base-image registry' }),
    gateVerdicts: meter.createCounter(METRIC.gateVerdicts, { description: "Each gate's outcome on each evaluated digest" }),
    promotionLag: meter.createHistogram(METRIC.promotionLag, { description: 'Seconds from a digest first seen upstream to its promotion, cooldowns included', advice: { explicitBucketBoundaries: LAG_BUCKETS } }),
    registryRequests: meter.createCounter(METRIC.registryRequests, { description: 'Registry HTTP exchanges by host, method and status' }),
  };
  meter.createObservableGauge(METRIC.tagsTracked, { description: 'Tags the tracked images follow' }).addCallback((result) => {
    if (tagsTracked.size > 0) result.observe([...tagsTracked.values()].reduce((a, b) => a + b, 0));
  });
  meter.createObservableGauge(METRIC.rateLimitRemaining, { description: 'The last ratelimit-remaining a registry reported' }).addCallback((result) => {
    for (const [host, remaining] of rateLimitRemaining) result.observe(remaining, { host });
  });
  meter.createObservableGauge(METRIC.poisonedMessages, { description: 'Messages waiting in the poison queues' }).addCallback((result) => {
    result.observe(poisonedMessages ?? 0);
  });
  bound = { provider, instruments: made };
  return made;
}

/** Records how many tags one image follows now (after a detect of all its tags). */
export function recordTagsTracked(imageId: string, tags: number): void {
  tagsTracked.set(imageId, tags);
  instruments();
}

/** Counts one gate outcome per gate of a verdict. */
export function recordGateVerdicts(gates: ReadonlyArray<{ gate: string; outcome: string }>): void {
  const { gateVerdicts } = instruments();
  for (const g of gates) gateVerdicts.add(1, { gate: g.gate, outcome: g.outcome });
}

/** Counts one promotion and its lag from the digest first seen (when known). */
export function recordPromotion(lagSeconds: number | undefined, attributes: Attributes = {}): void {
  const { promotions, promotionLag } = instruments();
  promotions.add(1, attributes);
  if (lagSeconds !== undefined && Number.isFinite(lagSeconds) && lagSeconds >= 0) promotionLag.record(lagSeconds, attributes);
}

/** Counts one registry exchange. */
export function recordRegistryRequest(host: string, method: string, status: number): void {
  instruments().registryRequests.add(1, { host, method, status: String(status) });
}

/** Records a registry's rate-limit reading. */
export function recordRateLimitRemaining(host: string, remaining: number): void {
  rateLimitRemaining.set(host, remaining);
  instruments();
}

/** Records how many messages wait in the poison queues. */
export function recordPoisonedMessages(count: number): void {
  poisonedMessages = count;
  instruments();
}
