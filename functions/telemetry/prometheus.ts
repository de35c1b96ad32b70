/**
 * `/metrics` for `basegate serve`: the metrics of metrics.ts in the Prometheus text exposition
 * format (https://prometheus.io/docs/instrumenting/exposition_formats/), collected by the SDK's
 * pull reader and written by @opentelemetry/exporter-prometheus's own serializer (its HTTP
 * server is not started: serve owns the route).
 */
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type * as promExporter from '@opentelemetry/exporter-prometheus';
import { installedTelemetry, startTelemetry } from './telemetry-sdk';
import { otelExporters } from './otel-settings';

/** The content type of {@link renderMetrics}'s text (Prometheus text format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let reader: promExporter.PrometheusExporter | undefined;

/**
 * Starts the SDK for serve (once): the Prometheus pull reader, plus whatever `OTEL_*` settings
 * ask for (otel-settings.ts), plus extra span processors (tests).
 */
export async function startServeTelemetry(options: { env?: Record<string, string | undefined>; spanProcessors?: SpanProcessor[] } = {}): Promise<void> {
  if (reader) return;
  if (installedTelemetry()) throw new Error('OpenTelemetry was started without the Prometheus reader');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus') as typeof promExporter;
  const pull = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const exporters = await otelExporters(options.env ?? process.env);
  startTelemetry({ metricReaders: [pull, ...exporters.metricReaders], spanProcessors: [...exporters.spanProcessors, ...(options.spanProcessors ?? [])] });
  reader = pull;
}

/** The current metrics as Prometheus text; starts serve's telemetry on first call. */
export async function renderMetrics(): Promise<string> {
  await startServeTelemetry();
  const { PrometheusSerializer } = require('@opentelemetry/exporter-prometheus') as typeof promExporter;
  const { resourceMetrics, errors } = await reader!.collect();
  if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
  return new PrometheusSerializer(undefined, false, undefined, false, true).serialize(resourceMetrics);
}

/** Stops serve's telemetry (tests; serve's shutdown). */
export async function stopServeTelemetry(): Promise<void> {
  reader = undefined;
  await installedTelemetry()?.shutdown();
}
