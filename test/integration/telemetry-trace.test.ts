/**
 * One trace per digest decision, across queue invocations (issue #19): with the OpenTelemetry
 * SDK installed over an in-memory exporter, a timer tick drained through the registered handlers
 * over Azurite gives one trace id to the digest's detect, validate, promote and rebuild spans;
 * every queue message carries a W3C traceparent (an optional field of message v1), and a
 * redelivered message joins the trace it came from.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_QUEUE_NAMES } from '../../functions/azure/queue-clients';
import { parseMessage } from '../../functions/pipeline/messages';
import { startTelemetry, type TelemetrySdk } from '../../functions/telemetry/telemetry-sdk';
import { functionsAppFixture, type FunctionsAppFixture } from '../helpers/functions-app-fixture';
import { pushImage, synthImage } from '../helpers/image-synth';
import { QueueHost } from '../helpers/queue-host';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';
import { startWebhookReceiver, type WebhookReceiver } from '../servers/webhook-receiver';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

let exporter: InMemorySpanExporter;
let sdk: TelemetrySdk;
let receiver: WebhookReceiver;
let app: FunctionsAppFixture;
let repo: string;

beforeAll(async () => {
  exporter = new InMemorySpanExporter();
  sdk = startTelemetry({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
  await sdk.shutdown();
});

beforeEach(async () => {
  exporter.reset();
  repo = uniqueRepo('upstream');
  const t = registryLogin('token');
  app = await functionsAppFixture({
    env: { TARGET_PASSWORD: t.password },
    config: [
      'registries:',
      `  "${t.host}": { username: ${t.username}, password: "\${TARGET_PASSWORD}" }`,
      'target:',
      `  registry: "${t.host}"`,
      'images:',
      `  - source: ${testEnv().registries.anonymous.host}/${repo}`,
      '    tags: [a]',
      `    repository: ${uniqueRepo('base')}`,
      '    dependents:',
      `      - webhook: { url: "${receiver.url}/hooks/base" }`,
    ].join('\n'),
  });
});
afterEach(() => {
  app.cleanup();
  receiver.assertDone();
});

/** A host over the app's queues that keeps each message as the handler received it (the text the queue held). */
function recordingHost(received: unknown[]): QueueHost {
  const byDefault: Record<string, string> = { [DEFAULT_QUEUE_NAMES.validate]: app.names.validate, [DEFAULT_QUEUE_NAMES.promote]: app.names.promote, [DEFAULT_QUEUE_NAMES.rebuild]: app.names.rebuild };
  return new QueueHost(
    app.service,
    [...app.recorder.queues].map(([functionName, o]) => ({ functionName, queueName: byDefault[o.queueName], handler: (input: unknown, context: Parameters<typeof o.handler>[1]) => (received.push(input), o.handler(input, context)) })),
  );
}

const attr = (span: ReadableSpan, key: string) => span.attributes[key];
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

describe('traces across the queue stages (in-memory exporter, Azurite)', () => {
  it('detect → validate → promote → rebuild of one digest is one trace, and every message carries its traceparent', async () => {
    const image = synthImage({ seed: `${repo}-1`, layers: 1 });
    await pushImage({ host: testEnv().registries.anonymous.host }, repo, ['a'], image);
    const received: unknown[] = [];
    const host = recordingHost(received);

    await app.runTimer('detect');
    receiver.expectDelivery();
    const deliveries = await host.drain();
    expect(deliveries.map((d) => [d.functionName, d.outcome])).toEqual([
      ['validate', 'completed'],
      ['validate', 'completed'],
      ['promote', 'completed'],
      ['rebuild', 'completed'],
    ]);

    const spans = exporter.getFinishedSpans();
    const detect = spans.filter((s) => s.name === 'basegate.detect' && attr(s, 'basegate.tag') === 'a');
    expect(detect).toHaveLength(1);
    expect(attr(detect[0], 'basegate.digest')).toBe(image.digest);
    const traceId = traceOf(detect[0]);
    const inTrace = spans.filter((s) => traceOf(s) === traceId);
    expect(inTrace.map((s) => s.name).sort()).toEqual(['basegate.detect', 'basegate.promote', 'basegate.rebuild', 'basegate.validate']);
    // A chain, not four roots: each stage's span has a parent inside the trace, the detect span none.
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
    for (const s of inTrace.filter((s) => s.name !== 'basegate.detect')) expect(ids.has(s.parentSpanContext?.spanId ?? '')).toBe(true);
    expect(detect[0].parentSpanContext).toBeUndefined();
    expect(inTrace.find((s) => s.name === 'basegate.validate')!.attributes).toMatchObject({ 'basegate.digest': image.digest, 'basegate.outcome': 'approved' });
    expect(inTrace.find((s) => s.name === 'basegate.rebuild')!.attributes).toMatchObject({ 'basegate.outcome': 'sent', 'basegate.settled_here': true });
    // The image's detect (a trace of the timer tick) is linked from the digest's trace.
    const imageDetect = spans.find((s) => s.name === 'basegate.detect.image')!;
    expect(detect[0].links.map((l) => l.context.spanId)).toEqual([imageDetect.spanContext().spanId]);
    expect(traceOf(imageDetect)).toBe(traceOf(spans.find((s) => s.name === 'basegate.schedule')!));

    // Every message in the queues carried a W3C traceparent; validate, promote and rebuild name the digest's trace.
    const messages = received.map((m) => parseMessage(m));
    expect(messages.map((m) => m.kind)).toEqual(['detect', 'validate', 'promote', 'rebuild']);
    for (const m of messages) expect(m.traceparent).toMatch(TRACEPARENT);
    expect(messages.filter((m) => m.kind !== 'detect').map((m) => TRACEPARENT.exec(m.traceparent!)![1])).toEqual([traceId, traceId, traceId]);
  });

  it('a redelivered promote message joins the trace it came from; a message without traceparent (older sender) still runs', async () => {
    const image = synthImage({ seed: `${repo}-2`, layers: 1 });
    await pushImage({ host: testEnv().registries.anonymous.host }, repo, ['a'], image);
    await app.runTimer('detect');
    receiver.expectDelivery();
    await app.host.drain();
    const traceId = traceOf(exporter.getFinishedSpans().find((s) => s.name === 'basegate.detect')!);
    exporter.reset();

    const promote = app.sent.find((m) => m.kind === 'promote')!;
    await app.runtime.queue.send({ ...promote, traceparent: `00-${traceId}-${'1'.repeat(16)}-01` });
    const { traceparent: _dropped, ...untraced } = app.sent.find((m) => m.kind === 'validate')!;
    await app.runtime.queue.send(untraced);
    expect((await app.host.drain()).map((d) => d.outcome)).toEqual(['completed', 'completed']);
    const spans = exporter.getFinishedSpans();
    const again = spans.find((s) => s.name === 'basegate.promote')!;
    expect(traceOf(again)).toBe(traceId);
    expect(again.attributes['basegate.outcome']).toBe('promoted-already');
    expect(spans.find((s) => s.name === 'basegate.validate')!.attributes['basegate.outcome']).toBe('promoted-already');
  });
});
