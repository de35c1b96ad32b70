/**
 * Issue #17 item 4 through `basegate sync` on the real local registries: a tag that moves back
 * upstream (to a digest it pointed at before, or to one older by its `created`) is held, not
 * promoted, until `basegate approve` releases it (or `allowUpstreamRollback: true` accepts it);
 * a tag deleted upstream shows `upstream-missing`, fails the run (exit 1) and leaves the target
 * untouched. Both are audited.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { cliWorkspace, targetRegistry, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { pushImage, synthImage, type SynthImage } from '../helpers/image-synth';
import { rawGetManifest, rawRequest, rawTags } from '../helpers/raw-registry';
import { uniqueRepo } from '../servers/test-env';

let ws: CliWorkspace;
beforeEach(() => {
  ws = cliWorkspace('basegate-retag-');
});
afterEach(() => ws.cleanup());

interface World {
  repo: string;
  targetRepo: string;
  config: string;
  source: string;
}

function world(extra = ''): World {
  const repo = uniqueRepo('moving');
  const targetRepo = uniqueRepo('base');
  const source = `${upstreamRegistry().host}/${repo}`;
  const config = ws.writeConfig([`  - source: ${source}`, '    tags: [v1]', `    repository: ${targetRepo}`, ...(extra ? [`    ${extra}`] : [])].join('\n'));
  return { repo, targetRepo, config, source };
}

async function sync(w: World) {
  const result = await runCli('sync', '--config', w.config, '--json');
  const status = JSON.parse((await runCli('status', '--config', w.config, '--json')).stdout).tags[0];
  return { code: result.code, tag: JSON.parse(result.stdout).tags[0], status };
}

async function move(w: World, image: SynthImage) {
  await pushImage(upstreamRegistry(), w.repo, ['v1'], image);
}

const inTarget = async (w: World) => (await rawGetManifest(targetRegistry(), w.targetRepo, 'v1'))?.digest;
const audit = () => fs.readFileSync(path.join(ws.dir, '.basegate', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('retag protection through basegate sync', () => {
  it('a tag moved back to a digest it pointed at before is held, not promoted; basegate approve releases it', async () => {
    const w = world();
    const a = synthImage({ seed: 'retag-a', created: '2026-01-01T00:00:00Z' });
    const b = synthImage({ seed: 'retag-b', created: '2026-01-02T00:00:00Z' });
    await move(w, a);
    expect((await sync(w)).tag.status).toBe('promoted');
    await move(w, b);
    expect((await sync(w)).tag.status).toBe('promoted');
    await move(w, a);
    const held = await sync(w);
    expect({ code: held.code, status: held.tag.status }).toEqual({ code: 0, status: 'pending' });
    expect(held.tag.reason).toBe(`moved back to an earlier digest: ${a.digest} was seen under v1 before the promoted ${b.digest}; basegate approve releases it (allowUpstreamRollback: true accepts such moves)`);
    expect(held.status).toMatchObject({ status: 'pending', reason: held.tag.reason, hold: { digest: a.digest } });
    expect(await inTarget(w)).toBe(b.digest);
    // Held again by the next sync, without a second audit entry.
    expect((await sync(w)).tag.status).toBe('pending');
    expect(audit().filter((e) => e.outcome === 'held')).toEqual([expect.objectContaining({ stage: 'promote', digest: a.digest, detail: { reason: expect.stringContaining('moved back to an earlier digest'), promoted: b.digest } })]);

    const approve = await runCli('approve', '--config', w.config, `${w.source}:v1@${a.digest}`, '--by', 'alice', '--reason', 'intended rollback');
    expect(approve.code).toBe(0);
    const released = await sync(w);
    expect(released.tag).toMatchObject({ status: 'promoted', targetDigest: a.digest });
    expect(released.status.hold).toBeUndefined();
    expect(await inTarget(w)).toBe(a.digest);
    expect(audit().filter((e) => e.outcome === 'hold-released')).toEqual([expect.objectContaining({ digest: a.digest, detail: expect.objectContaining({ by: 'alice' }) })]);
  });

  it('a digest never seen but older by its created is held; equal and epoch-0 created do not count', async () => {
    const w = world();
    await move(w, synthImage({ seed: 'created-a', created: '2026-01-10T00:00:00Z' }));
    expect((await sync(w)).tag.status).toBe('promoted');
    const older = synthImage({ seed: 'created-old', created: '2026-01-05T00:00:00Z' });
    await move(w, older);
    const held = await sync(w);
    expect(held.tag.status).toBe('pending');
    expect(held.tag.reason).toMatch(/^moved back to an earlier digest: created 2026-01-05T00:00:00\.000Z, older than the promoted sha256:[0-9a-f]{64} \(created 2026-01-10T00:00:00\.000Z\)/);

    const w2 = world();
    await move(w2, synthImage({ seed: 'created-b', created: '2026-01-10T00:00:00Z' }));
    expect((await sync(w2)).tag.status).toBe('promoted');
    const same = synthImage({ seed: 'created-same', created: '2026-01-10T00:00:00Z' });
    await move(w2, same);
    expect((await sync(w2)).tag).toMatchObject({ status: 'promoted', targetDigest: same.digest });
    const epoch = synthImage({ seed: 'created-epoch', created: '1970-01-01T00:00:00Z' });
    await move(w2, epoch);
    expect((await sync(w2)).tag).toMatchObject({ status: 'promoted', targetDigest: epoch.digest });
  });

  it('basegate reject keeps the earlier digest out for the tag', async () => {
    const w = world();
    const a = synthImage({ seed: 'reject-a', created: '2026-01-01T00:00:00Z' });
    const b = synthImage({ seed: 'reject-b', created: '2026-01-02T00:00:00Z' });
    await move(w, a);
    await sync(w);
    await move(w, b);
    await sync(w);
    await move(w, a);
    expect((await sync(w)).tag.status).toBe('pending');
    expect((await runCli('reject', '--config', w.config, `${w.source}:v1@${a.digest}`, '--by', 'bob')).code).toBe(0);
    const rejected = await sync(w);
    expect(rejected.tag.status).toBe('rejected');
    expect(rejected.tag.reason).toMatch(/moved back to an earlier digest: .*; rejected by bob at /);
    expect(await inTarget(w)).toBe(b.digest);
  });

  it('allowUpstreamRollback: true promotes the move back at once', async () => {
    const w = world('allowUpstreamRollback: true');
    const a = synthImage({ seed: 'allow-a' });
    const b = synthImage({ seed: 'allow-b' });
    await move(w, a);
    await sync(w);
    await move(w, b);
    await sync(w);
    await move(w, a);
    expect((await sync(w)).tag).toMatchObject({ status: 'promoted', targetDigest: a.digest });
    expect(await inTarget(w)).toBe(a.digest);
  });
});

describe('a tag deleted upstream', () => {
  it('shows upstream-missing, exits 1 with the reason, deletes nothing in the target, and is audited once', async () => {
    const w = world();
    const a = synthImage({ seed: 'deleted-a' });
    await move(w, a);
    expect((await sync(w)).tag.status).toBe('promoted');
    const targetTags = await rawTags(targetRegistry(), w.targetRepo);
    const del = await rawRequest(upstreamRegistry(), w.repo, 'DELETE', `/v2/${w.repo}/manifests/${a.digest}`);
    expect(del.status).toBe(202);

    const gone = await sync(w);
    expect(gone.code).toBe(1);
    expect(gone.tag.status).toBe('upstream-missing');
    expect(gone.tag.reason).toMatch(new RegExp(`^tag v1 not found in .*: the tag was deleted upstream \\(last seen at ${a.digest}\\); the target keeps v1-[0-9a-f]{12} \\(${a.digest}\\); nothing is deleted$`));
    expect(gone.status).toMatchObject({ status: 'upstream-missing', reason: gone.tag.reason });
    expect(await rawTags(targetRegistry(), w.targetRepo)).toEqual(targetTags);
    expect(await inTarget(w)).toBe(a.digest);
    expect((await sync(w)).code).toBe(1);
    expect(audit().filter((e) => e.outcome === 'upstream-missing')).toEqual([expect.objectContaining({ stage: 'detect', digest: a.digest })]);

    // Back upstream: the record is what it was.
    await move(w, a);
    const back = await sync(w);
    expect({ code: back.code, status: back.status.status }).toEqual({ code: 0, status: 'promoted' });
  });
});
