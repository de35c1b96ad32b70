/**
 * Traces through `@opentelemetry/api` only (no SDK loaded here; telemetry-sdk.ts or the Azure
 * Monitor distro installs one). One trace per digest decision: detect opens a span per tag,
 * and the W3C `traceparent` of the span current when a stage sends its next message rides in
 * that message (messages.ts, an optional field of v1), so detect → validate → promote → rebuild
 * is one trace across queue invocations (https://www.w3.org/TR/trace-context/).
 *
 * Without an SDK every span is a no-op and no traceparent is written.
 */
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('basegate');

/** Options of {@link inSpan}. */
export interface SpanOptions {
  attributes?: Attributes;
  /** The parent; the active context when absent. `ROOT_CONTEXT` starts a new trace. */
  parent?: Context;
  links?: Link[];
}

/** Runs `fn` inside a new active span named `name`; an error ends the span as ERROR and is rethrown. */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { attributes: options.attributes, links: options.links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The W3C traceparent of the active span, when one is recording (the value a message carries). */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a received message's traceparent names (the root context when it has none or it is not valid). */
export function contextOf(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** Runs `fn` with the context a received message's traceparent names active (a new trace when it has none). */
export function withMessageContext<T>(traceparent: string | undefined, fn: () => Promise<T>): Promise<T> {
  return context.with(contextOf(traceparent), fn);
}

/** A link to the active span (a per-tag trace started inside an image's detect points back at it). */
export function linkToActive(): Link[] {
  const span = trace.getSpan(context.active());
  return span && span.spanContext().traceId !== '00000000000000000000000000000000' ? [{ context: span.spanContext() }] : [];
}

/** The root context: a new trace. */
export const NEW_TRACE = ROOT_CONTEXT;
