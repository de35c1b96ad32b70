/**
 * Starts the OpenTelemetry SDK for the CLI's long-running and exporting modes: `basegate serve`
 * (Prometheus text at `/metrics`, prometheus.ts) and any command whose `OTEL_*` settings ask for
 * an exporter (otel-settings.ts). Loaded only then: a plain `sync` loads `@opentelemetry/api`
 * alone (metrics.ts, tracing.ts), and the bundle keeps these packages external
 * (scripts/bundle.js), so start-up does not grow.
 *
 * Installs, once per process: an AsyncLocalStorage context manager (spans follow `await`), the
 * W3C trace-context propagator (the `traceparent` in queue messages), a tracer provider with the
 * given span processors, and a meter provider with the given readers.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** What to install. */
export interface TelemetryOptions {
  /** Where finished spans go (tests: a SimpleSpanProcessor over an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
  /** Who reads the metrics (serve: a Prometheus pull reader; OTLP: a periodic reader). */
  metricReaders?: IMetricReader[];
  /** `service.name` of the resource; default `basegate`. */
  serviceName?: string;
}

/** The installed SDK. */
export interface TelemetrySdk {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** Exports what is buffered and stops; the API falls back to no-ops. */
  shutdown(): Promise<void>;
}

let installed: TelemetrySdk | undefined;

/** Installs the SDK globally; a second call while one is installed is refused (stop it first). */
export function startTelemetry(options: TelemetryOptions = {}): TelemetrySdk {
  if (installed) throw new Error('OpenTelemetry is already started in this process');
  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'basegate' });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: options.spanProcessors ?? [] });
  const meterProvider = new MeterProvider({ resource, readers: options.metricReaders ?? [] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const sdk: TelemetrySdk = {
    tracerProvider,
    meterProvider,
    async shutdown() {
      if (installed !== sdk) return;
      installed = undefined;
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
  installed = sdk;
  return sdk;
}

/** The SDK this process installed, if any. */
export function installedTelemetry(): TelemetrySdk | undefined {
  return installed;
}
