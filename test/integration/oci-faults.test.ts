/**
 * Throttling and faults: the fault proxy in front of the real registry answers 429/5xx, hangs
 * up, delays, or adds Docker Hub's rate-limit headers, and the request log counts attempts.
 */
import { Readable } from 'node:stream';
import { RegistryError } from '../../functions/errors';
import { parseReference } from '../../functions/oci/reference';
import type { RegistryEvent } from '../../functions/oci/registry/events';
import type { RegistryClientOptions } from '../../functions/oci/registry/options';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { sha256 } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

const upstream = () => testEnv().registries.anonymous.host;
let proxy: FaultProxy;
const repo = uniqueRepo('faults');
const image = synthImage({ seed: 'faults', platforms: ['linux/amd64'], layers: 1, layerSize: 30_000 });
const [layerDigest, layer] = [...image.blobs.entries()].find(([, b]) => b.length === 30_000)!;

const clients: RemoteRegistry[] = [];
function client(options: RegistryClientOptions = {}): { registry: RemoteRegistry; events: RegistryEvent[] } {
  const events: RegistryEvent[] = [];
  const registry = new RemoteRegistry({
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000, ...options.retry },
    ...options,
    onEvent: (e) => events.push(e),
  });
  clients.push(registry);
  return { registry, events };
}

beforeAll(async () => {
  await pushImage({ host: upstream() }, repo, ['v1'], image);
  proxy = await startFaultProxy({ upstream: `http://${upstream()}`, seed: 42 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.stop();
});
beforeEach(() => proxy.reset());

const ref = () => parseReference(`${proxy.host}/${repo}:v1`);
const manifestGets = () => proxy.count('GET', /\/manifests\//);

describe('retry', () => {
  it('waits out 429 + Retry-After (seconds) and succeeds', async () => {
    const { registry, events } = client();
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, nth: 1, respond: { status: 429, headers: { 'retry-after': '1' } } }]);
    expect((await registry.manifestGet(ref())).digest).toBe(image.digest);
    expect(manifestGets()).toBe(2);
    expect(events.filter((e) => e.type === 'retry')).toEqual([expect.objectContaining({ attempt: 1, delayMs: 1000, reason: '429' })]);
    expect(events.filter((e) => e.type === 'throttled')).toEqual([expect.objectContaining({ reason: 'status', retryAfterMs: 1000 })]);
  });

  it('honours an HTTP-date Retry-After', async () => {
    const { registry, events } = client();
    const at = new Date(Date.now() + 1500).toUTCString();
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, nth: 1, respond: { status: 503, headers: { 'retry-after': at } } }]);
    expect(await registry.manifestHead(ref())).toMatchObject({ digest: image.digest });
    const retry = events.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ reason: '503' });
    expect((retry as { delayMs: number }).delayMs).toBeGreaterThan(20); // from the date, not the 20 ms backoff ceiling
    expect((retry as { delayMs: number }).delayMs).toBeLessThanOrEqual(1500);
  });

  it('does not wait in-process for a Retry-After beyond maxRetryAfterMs: a temporary error with retryAfter', async () => {
    const { registry } = client();
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, respond: { status: 429, headers: { 'retry-after': '120', 'content-type': 'application/json' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } }]);
    const err = await registry.manifestGet(ref()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'TOOMANYREQUESTS', status: 429, temporary: true, retryAfter: 120, errors: [{ code: 'TOOMANYREQUESTS' }] });
    expect(manifestGets()).toBe(1);
  });

  it('backs off on 502/503/504 without Retry-After and succeeds', async () => {
    const { registry, events } = client();
    proxy.setRules([
      { method: 'GET', path: /\/manifests\//, nth: 1, respond: { status: 502 } },
      { method: 'GET', path: /\/manifests\//, nth: 2, respond: { status: 503 } },
      { method: 'GET', path: /\/manifests\//, nth: 3, respond: { status: 504 } },
    ]);
    expect((await registry.manifestGet(ref())).digest).toBe(image.digest);
    expect(manifestGets()).toBe(4);
    const delays = events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs);
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => expect(d).toBeLessThan(Math.min(20, 5 * 2 ** i)));
  });

  it('gives up after maxAttempts with a temporary error', async () => {
    const { registry } = client({ retry: { maxAttempts: 3 } });
    proxy.setRules([{ method: 'GET', path: /\/manifests\//, respond: { status: 500 } }]);
    await expect(registry.manifestGet(ref())).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 500, temporary: true });
    expect(manifestGets()).toBe(3);
  });

  it('retries a connection closed before any answer', async () => {
    const { registry, events } = client();
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, nth: 1, hangup: true }]);
    expect(await registry.manifestHead(ref())).toMatchObject({ digest: image.digest });
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(2);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('survives seeded random 503s; every 503 in the log is one retry', async () => {
    const { registry, events } = client({ retry: { maxAttempts: 10 } });
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, probability: 0.4, respond: { status: 503 } }]);
    for (let i = 0; i < 20; i++) expect(await registry.manifestHead(ref())).toMatchObject({ digest: image.digest });
    const failures = proxy.log.filter((e) => e.method === 'HEAD' && e.status === 503).length;
    expect(failures).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(failures);
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(20 + failures);
  });

  it('names the request when a blob body is cut mid-way (a reset after the headers)', async () => {
    proxy.setRules([{ method: 'GET', path: /\/blobs\/sha256:/, nth: 1, reset: { after: 10_000 } }]);
    const { registry } = client();
    const stream = await registry.blobGet(ref(), { digest: layerDigest, size: layer.length });
    const err = await new Promise<unknown>((resolve) => stream.on('error', resolve).on('end', () => resolve(undefined)).resume());
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).message).toMatch(new RegExp(`^GET http://${proxy.host.replace(/\./g, '\\.')}/v2/${repo}/blobs/${layerDigest}: `));
    expect(err).toMatchObject({ code: 'NETWORK', temporary: true });
  });

  it('fails a request whose headers do not come in time', async () => {
    const { registry } = client({ timeouts: { headersMs: 200 }, retry: { maxAttempts: 1 } });
    proxy.setRules([{ method: 'HEAD', path: /\/manifests\//, delayMs: 1000 }]);
    await expect(registry.manifestHead(ref())).rejects.toMatchObject({ code: 'TIMEOUT', temporary: true });
  });
});

describe('rate budget', () => {
  const rateHeaders = (remaining: number) => ({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${remaining};w=21600`, 'docker-ratelimit-source': '127.0.0.1' });

  it('parses the headers and exposes the latest reading per host', async () => {
    const { registry, events } = client();
    expect(registry.rateLimit(proxy.host)).toBeUndefined();
    proxy.setRules([{ path: /\/manifests\//, setHeaders: rateHeaders(76) }]);
    await registry.manifestHead(ref());
    expect(registry.rateLimit(proxy.host)).toMatchObject({ limit: 100, remaining: 76, windowSeconds: 21600 });
    expect(events).toContainEqual({ type: 'rateLimit', host: proxy.host, limit: 100, remaining: 76, windowSeconds: 21600 });
  });

  it('refuses GETs of manifests and blobs below minRemaining while HEADs go through', async () => {
    const { registry, events } = client({ hosts: { [proxy.host]: { minRemaining: 5 } } });
    proxy.setRules([{ path: /\/(manifests|blobs)\//, setHeaders: rateHeaders(3) }]);
    expect(await registry.manifestHead(ref())).toMatchObject({ digest: image.digest });
    expect(registry.rateLimit(proxy.host)).toMatchObject({ remaining: 3 });

    const err = await registry.manifestGet(ref()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'RATE_BUDGET', temporary: true });
    await expect(registry.blobGet(ref(), { digest: layerDigest, size: layer.length })).rejects.toMatchObject({ code: 'RATE_BUDGET' });
    expect(proxy.count('GET', /\/(manifests|blobs)\//)).toBe(0);
    expect(events.filter((e) => e.type === 'throttled' && e.reason === 'budget')).toHaveLength(2);

    // HEADs still pass (Docker Hub does not count them) and bring the news that the budget recovered.
    expect(await registry.blobHead(ref(), layerDigest)).toEqual({ size: layer.length });
    proxy.setRules([{ path: /\/(manifests|blobs)\//, setHeaders: rateHeaders(50) }]);
    await registry.manifestHead(ref());
    expect((await registry.manifestGet(ref())).digest).toBe(image.digest);
    expect(proxy.count('GET', /\/manifests\//)).toBe(1);
  });
});

describe('stats', () => {
  it('counts requests by method and bytes both ways', async () => {
    const { registry } = client();
    await registry.manifestHead(ref()); // warm up: the auth ping
    const before = registry.stats();
    const stream = await registry.blobGet(ref(), { digest: layerDigest, size: layer.length });
    for await (const _ of stream) void _;
    const uploaded = Buffer.from('stats upload');
    await registry.blobPut(ref(), { digest: sha256(uploaded), size: uploaded.length }, () => Readable.from([uploaded]));
    const after = registry.stats();
    expect(after.requests.GET - before.requests.GET).toBe(1);
    expect(after.requests.POST - (before.requests.POST ?? 0)).toBe(1);
    expect(after.requests.PUT - (before.requests.PUT ?? 0)).toBe(1);
    expect(after.bytesDown - before.bytesDown).toBe(layer.length);
    expect(after.bytesUp - before.bytesUp).toBe(uploaded.length);
  });
});
