/**
 * Which exporters the standard `OTEL_*` settings ask for
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
 * `OTEL_TRACES_EXPORTER` and `OTEL_METRICS_EXPORTER` (`otlp`, `console`, `none`; metrics also
 * `prometheus`, which only `serve` answers, at `/metrics`), or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._TRACES_ENDPOINT`, `..._METRICS_ENDPOINT`) with no exporter
 * named, which means `otlp`. `OTEL_SDK_DISABLED=true` turns everything off. Nothing set: nothing
 * exported, and nothing but `@opentelemetry/api` loaded. The OTLP exporters read their own
 * endpoint, headers and protocol settings.
 */
import type * as metricsSdk from '@opentelemetry/sdk-metrics';
import type * as otlpMetrics from '@opentelemetry/exporter-metrics-otlp-http';
import type * as otlpTraces from '@opentelemetry/exporter-trace-otlp-http';
import type * as traceSdk from '@opentelemetry/sdk-trace-base';
import { BasegateError } from '../errors';

type Env = Record<string, string | undefined>;

const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
const METRIC_EXPORTERS = ['otlp', 'console', 'prometheus', 'none'] as const;

/** Periodic export interval of pushed metrics: the SDK's default, `OTEL_METRIC_EXPORT_INTERVAL` when set. */
const DEFAULT_EXPORT_INTERVAL_MS = 60_000;

function named<T extends string>(env: Env, key: string, allowed: readonly T[], endpointKeys: string[]): T[] {
  const raw = env[key]?.trim();
  if (!raw) return endpointKeys.some((k) => env[k]?.trim()) ? (['otlp'] as T[]) : [];
  const values = raw.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
  const wrong = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (wrong.length > 0) throw new BasegateError('CONFIG_OTEL', `${key}=${raw}: ${wrong.join(', ')} is not an exporter basegate has; expected ${allowed.join(', ')}`);
  return values.includes('none') ? [] : (values as T[]);
}

/** The exporters asked for, by name: no imports, cheap enough for every start. */
export function otelExporterNames(env: Env): { traces: Array<(typeof TRACE_EXPORTERS)[number]>; metrics: Array<(typeof METRIC_EXPORTERS)[number]> } {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { traces: [], metrics: [] };
  return {
    traces: named(env, 'OTEL_TRACES_EXPORTER', TRACE_EXPORTERS, ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']),
    metrics: named(env, 'OTEL_METRICS_EXPORTER', METRIC_EXPORTERS, ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT']),
  };
}

/** True when the settings ask a command other than serve to export something. */
export function wantsExporter(env: Env): boolean {
  const { traces, metrics } = otelExporterNames(env);
  return traces.length > 0 || metrics.some((m) => m !== 'prometheus');
}

/** The span processors and pushing metric readers the settings ask for (the exporter packages loaded only here). */
export async function otelExporters(env: Env): Promise<{ spanProcessors: traceSdk.SpanProcessor[]; metricReaders: metricsSdk.IMetricReader[] }> {
  const names = otelExporterNames(env);
  const spanProcessors: traceSdk.SpanProcessor[] = [];
  const metricReaders: metricsSdk.IMetricReader[] = [];
  if (names.traces.length > 0) {
    const base = require('@opentelemetry/sdk-trace-base') as typeof traceSdk;
    for (const name of names.traces) {
      if (name === 'console') spanProcessors.push(new base.SimpleSpanProcessor(new base.ConsoleSpanExporter()));
      if (name === 'otlp') {
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof otlpTraces;
        spanProcessors.push(new base.BatchSpanProcessor(new OTLPTraceExporter()));
      }
    }
  }
  const pushed = names.metrics.filter((m) => m !== 'prometheus');
  if (pushed.length > 0) {
    const sdk = require('@opentelemetry/sdk-metrics') as typeof metricsSdk;
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) > 0 ? Number(env.OTEL_METRIC_EXPORT_INTERVAL) : DEFAULT_EXPORT_INTERVAL_MS;
    for (const name of pushed) {
      const exporter = name === 'console' ? new sdk.ConsoleMetricExporter() : new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof otlpMetrics).OTLPMetricExporter();
      metricReaders.push(new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval }));
    }
  }
  return { spanProcessors, metricReaders };
}
