/**
 * Blobs through RemoteRegistry against the real docker-registry (through the fault proxy, to
 * see the requests): HEAD, streaming GET verified while it streams, monolithic and chunked
 * uploads, cross-repository mount; and corrupt, short or reset downloads.
 */
import { Readable } from 'node:stream';
import { ContentRejectedError, DigestMismatchError } from '../../functions/errors';
import { parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pseudoRandomBytes } from '../helpers/image-synth';
import { rawGetBlob, rawPushBlob, sha256 } from '../helpers/raw-registry';
import { testEnv, uniqueRepo } from '../servers/test-env';

const upstream = () => testEnv().registries.anonymous.host;
const registry = new RemoteRegistry({ retry: { baseDelayMs: 5, maxDelayMs: 20 } });
let proxy: FaultProxy;
const repo = uniqueRepo('blob');
const blob = pseudoRandomBytes('blob-get', 200_000);
const digest = sha256(blob);

beforeAll(async () => {
  await rawPushBlob({ host: upstream() }, repo, blob);
  proxy = await startFaultProxy({ upstream: `http://${upstream()}` });
});
afterAll(async () => {
  await registry.close();
  await proxy?.stop();
});
beforeEach(() => proxy.reset());

const ref = (repository = repo) => parseReference(`${proxy.host}/${repository}:any`);

/** Reads a stream to its end, recording whether `end` was emitted. */
async function drain(stream: Readable): Promise<{ bytes: Buffer; ended: boolean; error?: unknown }> {
  const chunks: Buffer[] = [];
  let ended = false;
  stream.on('end', () => (ended = true));
  try {
    for await (const c of stream) chunks.push(c as Buffer);
    return { bytes: Buffer.concat(chunks), ended };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), ended, error };
  }
}

describe('download', () => {
  it('HEAD gives the size, or undefined when the blob is missing', async () => {
    expect(await registry.blobHead(ref(), digest)).toEqual({ size: blob.length });
    expect(await registry.blobHead(ref(), sha256(Buffer.from('absent')))).toBeUndefined();
  });

  it('streams the exact bytes', async () => {
    const { bytes, ended, error } = await drain(await registry.blobGet(ref(), { digest, size: blob.length }));
    expect(error).toBeUndefined();
    expect(ended).toBe(true);
    expect(bytes.equals(blob)).toBe(true);
  });

  it('fails a corrupted stream before it ends', async () => {
    proxy.setRules([{ method: 'GET', path: /\/blobs\//, corrupt: { at: 150_000 } }]);
    const { ended, error } = await drain(await registry.blobGet(ref(), { digest, size: blob.length }));
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(ended).toBe(false);
  });

  it('fails a short stream (registry sends fewer bytes than declared by the descriptor)', async () => {
    proxy.setRules([{ method: 'GET', path: /\/blobs\//, truncate: { after: 1000 } }]);
    const { ended, error } = await drain(await registry.blobGet(ref(), { digest, size: blob.length }));
    expect(error).toBeInstanceOf(ContentRejectedError);
    expect((error as ContentRejectedError).code).toBe('SIZE_MISMATCH');
    expect(ended).toBe(false);
  });

  it('fails a stream whose connection is reset mid-body', async () => {
    proxy.setRules([{ method: 'GET', path: /\/blobs\//, reset: { after: 65_536 } }]);
    const { ended, error } = await drain(await registry.blobGet(ref(), { digest, size: blob.length }));
    expect(error).toBeDefined();
    expect(ended).toBe(false);
  });

  it('refuses a blob whose Content-Length contradicts the descriptor', async () => {
    await expect(registry.blobGet(ref(), { digest, size: blob.length + 1 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });

  it('reports a missing blob as NOT_FOUND', async () => {
    const missing = Buffer.from('not pushed');
    await expect(registry.blobGet(ref(), { digest: sha256(missing), size: missing.length })).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});

describe('upload', () => {
  it('monolithic: one POST and one PUT', async () => {
    const bytes = pseudoRandomBytes('upload-mono', 50_000);
    const d = sha256(bytes);
    await registry.blobPut(ref(), { digest: d, size: bytes.length }, () => Readable.from([bytes]));
    expect((await rawGetBlob({ host: upstream() }, repo, d))?.equals(bytes)).toBe(true);
    expect(proxy.counts()).toMatchObject({ 'POST uploads': 1, 'PUT uploads': 1 });
    expect(proxy.counts()['PATCH uploads']).toBeUndefined();
    expect(proxy.log.find((e) => e.method === 'PUT')?.bytesIn).toBe(bytes.length);
  });

  it('chunked: PATCH per chunk with Content-Range, then an empty PUT', async () => {
    const bytes = pseudoRandomBytes('upload-chunked', 45_000);
    const d = sha256(bytes);
    // Feed the stream in odd pieces so the chunker has to re-cut them.
    const pieces = [bytes.subarray(0, 7_000), bytes.subarray(7_000, 31_000), bytes.subarray(31_000)];
    await registry.blobPut(ref(), { digest: d, size: bytes.length }, () => Readable.from(pieces), { chunkSize: 10_000 });
    expect((await rawGetBlob({ host: upstream() }, repo, d))?.equals(bytes)).toBe(true);
    const patches = proxy.log.filter((e) => e.method === 'PATCH');
    expect(patches.map((p) => p.requestHeaders['content-range'])).toEqual(['0-9999', '10000-19999', '20000-29999', '30000-39999', '40000-44999']);
    expect(patches.map((p) => p.bytesIn)).toEqual([10_000, 10_000, 10_000, 10_000, 5_000]);
    const put = proxy.log.filter((e) => e.method === 'PUT');
    expect(put).toHaveLength(1);
    expect(put[0].bytesIn).toBe(0);
    expect(put[0].query).toContain(`digest=${encodeURIComponent(d)}`);
  });

  it('refuses a source whose bytes do not match the descriptor, and stores nothing', async () => {
    const bytes = pseudoRandomBytes('upload-bad', 5_000);
    const claimed = sha256(Buffer.from('something else'));
    const err = await registry.blobPut(ref(), { digest: claimed, size: bytes.length }, () => Readable.from([bytes])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(await registry.blobHead(ref(), claimed)).toBeUndefined();
  });

  it('restarts the whole upload after a temporary failure of one step', async () => {
    const bytes = pseudoRandomBytes('upload-retry', 30_000);
    const d = sha256(bytes);
    proxy.setRules([{ method: 'PATCH', path: /\/blobs\/uploads\//, nth: 2, respond: { status: 503 } }]);
    await registry.blobPut(ref(), { digest: d, size: bytes.length }, () => Readable.from([bytes]), { chunkSize: 10_000 });
    expect((await rawGetBlob({ host: upstream() }, repo, d))?.equals(bytes)).toBe(true);
    expect(proxy.counts()).toMatchObject({ 'POST uploads': 2, 'PATCH uploads': 2 + 3, 'PUT uploads': 1 });
  });
});

describe('mount', () => {
  it('mounts from another repository without uploading', async () => {
    const target = uniqueRepo('blob-mount');
    expect(await registry.blobMount(ref(target), digest, ref())).toBe(true);
    const calls = proxy.log.filter((e) => e.path !== '/v2/');
    expect(calls.map((e) => `${e.method} ${e.path}`)).toEqual([`POST /v2/${target}/blobs/uploads/`]);
    expect(calls[0].status).toBe(201);
    expect(calls[0].query).toBe(`mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(repo)}`);
    expect(proxy.log.some((e) => e.method === 'PUT' || e.method === 'PATCH')).toBe(false);
    expect(await registry.blobHead(ref(target), digest)).toEqual({ size: blob.length });
  });

  it('answers false and cancels the session when the registry declines', async () => {
    const target = uniqueRepo('blob-mount-declined');
    const absent = sha256(Buffer.from('never pushed'));
    proxy.clearLog();
    expect(await registry.blobMount(ref(target), absent, ref())).toBe(false);
    const methods = proxy.log.filter((e) => e.path.includes('/blobs/uploads/')).map((e) => e.method);
    expect(methods).toEqual(['POST', 'DELETE']);
    expect(proxy.log.find((e) => e.method === 'DELETE')?.status).toBe(204);
  });

  it('answers false across registries without a request', async () => {
    const other = parseReference(`${upstream()}/${repo}:x`);
    proxy.clearLog();
    expect(await registry.blobMount(ref(), digest, other)).toBe(false);
    expect(proxy.log).toHaveLength(0);
  });
});
