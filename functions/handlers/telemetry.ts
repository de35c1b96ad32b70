/**
 * Telemetry of the Functions app without an Application Insights SDK: structured log lines that
 * the Functions host forwards to Application Insights as traces, written through the invocation's
 * `InvocationContext` so each carries its invocation and operation ids.
 *
 * - `basegate.decision {json}`: one line per decision (stage, outcome, image, tag, digest,
 *   correlationId, reason). The correlation id follows one request and the digest it found across
 *   detect, validate, promote and rebuild (messages.ts).
 * - `basegate.metric {json}`: `{"name":"basegate.approved","value":1,...dimensions}`. App Insights
 *   turns these into metrics with a log-based query (host.json keeps traces out of sampling, so
 *   none is lost):
 *   `traces | where message startswith "basegate.metric " | extend m = parse_json(substring(message, 16))
 *    | summarize sum(toint(m.value)) by tostring(m.name), bin(timestamp, 15m)`.
 */
import type { InvocationContext } from '@azure/functions';

/** The counted events: images checked, tags changed, digests approved/rejected/promoted, rebuilds sent, throttled requests, poisoned and delayed messages. */
export type MetricName = 'images_checked' | 'tags_changed' | 'approved' | 'rejected' | 'promoted' | 'rebuilds' | 'throttled' | 'poisoned' | 'delayed';

/** One decision of a stage. */
export interface Decision {
  stage: 'detect' | 'validate' | 'promote' | 'rebuild' | 'poison';
  outcome: string;
  imageId?: string;
  tag?: string;
  digest?: string;
  correlationId?: string;
  reason?: string;
  [detail: string]: unknown;
}

/** Where handlers report decisions and metrics. */
export interface Telemetry {
  decision(decision: Decision): void;
  metric(name: MetricName, value?: number, dimensions?: Record<string, string>): void;
}

/** Decisions that mean something did not go as it should: logged as warnings. */
const WARN = new Set(['failed', 'refused', 'poisoned', 'delayed', 'rejected']);

/** Telemetry written through one invocation's context. */
export function contextTelemetry(context: InvocationContext): Telemetry {
  return {
    decision(decision) {
      const line = JSON.stringify({ ...decision, functionName: context.functionName, invocationId: context.invocationId });
      if (WARN.has(decision.outcome)) context.warn('basegate.decision', line);
      else context.info('basegate.decision', line);
    },
    metric(name, value = 1, dimensions = {}) {
      context.info('basegate.metric', JSON.stringify({ name: `basegate.${name}`, value, ...dimensions }));
    },
  };
}
