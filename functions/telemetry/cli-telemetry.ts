/**
 * Telemetry of one CLI command other than serve: started only when `OTEL_*` settings ask for an
 * exporter (otel-settings.ts), flushed when the command ends. The CLI otherwise loads
 * `@opentelemetry/api` alone.
 */
import { otelExporters } from './otel-settings';
import { startTelemetry } from './telemetry-sdk';

/** Starts the exporters the settings name; returns the flush-and-stop to call when the command ends. */
export async function startCliTelemetry(env: Record<string, string | undefined>): Promise<() => Promise<void>> {
  const { spanProcessors, metricReaders } = await otelExporters(env);
  const sdk = startTelemetry({ spanProcessors, metricReaders });
  return () => sdk.shutdown();
}
