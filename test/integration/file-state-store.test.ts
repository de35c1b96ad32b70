/**
 * What only the local file store promises: one process at a time (a lock a second process
 * meets, a stale lock taken over), atomic writes, corrupt files refused, read-only mode.
 * Second processes are real `node` processes running test/helpers/state-store-child.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStateStore } from '../../functions/state/file-state-store';
import { codeOf } from '../helpers/code-of';

const CHILD = path.join(__dirname, '..', 'helpers', 'state-store-child.ts');
const REGISTER = path.join(__dirname, '..', 'helpers', 'ts-register.cjs');

let dir: string;
let file: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-file-state-'));
  file = path.join(dir, '.basegate', 'state.json');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function startChild(mode: 'hold' | 'read'): { child: ChildProcess; ready: Promise<void>; output: Promise<string> } {
  const child = spawn(process.execPath, ['-r', REGISTER, CHILD, mode, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.startsWith('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before ready: ${stderr}`)));
  });
  const output = new Promise<string>((resolve) => child.once('exit', () => resolve(stdout.replace(/^ready\n/, ''))));
  return { child, ready, output };
}

function tryInChild(): { ok?: boolean; code?: string; message?: string } {
  const result = spawnSync(process.execPath, ['-r', REGISTER, CHILD, 'try', file], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { ok?: boolean; code?: string };
}

describe('FileStateStore lock', () => {
  it('a second process cannot open a state this process holds, and can once it is closed', async () => {
    const store = await FileStateStore.open(file);
    const refused = tryInChild();
    expect(refused.code).toBe('STATE_LOCKED');
    expect(refused.message).toContain(`process ${process.pid} on ${os.hostname()}`);
    expect(refused.message).toContain(`${file}.lock`);
    await store.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(tryInChild()).toEqual({ ok: true });
  });

  it('this process cannot open a state another live process holds; once that process dies, its stale lock is taken over with a warning', async () => {
    const holder = startChild('hold');
    await holder.ready;
    expect(await codeOf(FileStateStore.open(file))).toBe('STATE_LOCKED');

    holder.child.kill('SIGKILL'); // a crash: the lock file stays behind
    await holder.output;
    expect(JSON.parse(fs.readFileSync(`${file}.lock`, 'utf8')).pid).toBe(holder.child.pid);

    const warnings: Array<[string, Record<string, unknown>]> = [];
    const store = await FileStateStore.open(file, { warn: (message, meta) => warnings.push([message, meta]) });
    expect(warnings).toEqual([['taking over a stale state lock', expect.objectContaining({ pid: holder.child.pid, hostname: os.hostname() })]]);
    expect((await store.get<{ pid: number }>('tag', 'held-by'))!.value.pid).toBe(holder.child.pid);
    expect(JSON.parse(fs.readFileSync(`${file}.lock`, 'utf8')).pid).toBe(process.pid);
    await store.close();
  });

  it('a lock held on another host is never taken over', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: 1, hostname: 'build-agent-7', token: 'x', createdAt: '2020-01-01T00:00:00.000Z' }));
    const err = await FileStateStore.open(file).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'STATE_LOCKED', message: expect.stringContaining('process 1 on build-agent-7') });
  });

  it('the same process opening the state twice is refused too', async () => {
    const store = await FileStateStore.open(file);
    expect(await codeOf(FileStateStore.open(file))).toBe('STATE_LOCKED');
    await store.close();
  });
});

describe('FileStateStore writes', () => {
  it('the state file is never half-written: a second process reading it throughout always parses it', async () => {
    const store = await FileStateStore.open(file);
    await store.put('tag', 'seed', { n: 0 });
    const reader = startChild('read');
    await reader.ready;
    const blob = 'x'.repeat(60_000);
    for (let i = 0; i < 30; i++) await store.put('promotion', `p${i}`, { i, blob });
    reader.child.stdin!.end();
    const counts = JSON.parse(await reader.output) as { reads: number; failures: number; missing: number; revisions: number };
    await store.close();
    expect(counts.failures).toBe(0);
    expect(counts.missing).toBe(0);
    // The reader saw the file change under it many times, so it had the chance to catch a torn write.
    expect(counts.revisions).toBeGreaterThan(3);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.statSync(file).size).toBeGreaterThan(30 * 60_000);
  });

  it('concurrent puts are coalesced and all land on disk', async () => {
    const store = await FileStateStore.open(file);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.put('tag', `t${i}`, { i })));
    await store.close();
    const reopened = await FileStateStore.open(file, { readOnly: true });
    expect((await reopened.list<{ i: number }>('tag')).map((r) => r.value.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('a deferred put is read back at once, still checks its conditions, and reaches the disk with the next write or at close', async () => {
    const onDisk = async (): Promise<number[]> => {
      const reader = await FileStateStore.open(file, { readOnly: true });
      const found = (await reader.list<{ i: number }>('tag')).map((r) => r.value.i);
      await reader.close();
      return found;
    };
    const store = await FileStateStore.open(file);
    const first = await store.put('tag', 't1', { i: 1 });
    const etag = await store.put('tag', 't1', { i: 2 }, { etag: first, deferred: true });
    expect((await store.get<{ i: number }>('tag', 't1'))?.value.i).toBe(2);
    await expect(store.put('tag', 't1', { i: 3 }, { etag: first, deferred: true })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    expect(await onDisk()).toEqual([1]); // not written yet
    await store.put('tag', 't2', { i: 20 }); // an ordinary write carries the deferred record
    expect(await onDisk()).toEqual([2, 20]);
    await store.put('tag', 't1', { i: 4 }, { etag, deferred: true });
    await store.close(); // close writes what is pending
    expect(await onDisk()).toEqual([4, 20]);
  });

  it('a corrupt state file is an error, and is left as it was', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":1,"revision":3,"records":{"tag":{"a":{"etag":"1","val');
    const err = await FileStateStore.open(file).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'STATE_CORRUPT', message: expect.stringContaining('never reset automatically') });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version":1,"revision":3,"records":{"tag":{"a":{"etag":"1","val');
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    fs.writeFileSync(file, JSON.stringify({ version: 2, revision: 0, records: {} }));
    expect(await codeOf(FileStateStore.open(file))).toBe('STATE_CORRUPT');
  });

  it('a torn last audit line (a crash mid-append) is cut with a warning; earlier lines stay', async () => {
    const store = await FileStateStore.open(file);
    await store.appendAudit({ at: '2020-01-01T00:00:00.000Z', stage: 'detect', subject: 's', outcome: 'new' });
    await store.close();
    fs.appendFileSync(path.join(path.dirname(file), 'audit.jsonl'), '{"at":"2020-01-01T00:0');
    const warnings: string[] = [];
    const again = await FileStateStore.open(file, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['cutting a torn last line from the audit log']);
    await again.appendAudit({ at: '2020-01-02T00:00:00.000Z', stage: 'detect', subject: 's', outcome: 'changed' });
    expect((await again.listAudit()).map((r) => r.outcome)).toEqual(['new', 'changed']);
    await again.close();
  });
});

describe('FileStateStore readOnly', () => {
  it('takes no lock, writes nothing, creates nothing, and reads what a writer holding the lock wrote', async () => {
    const ro = await FileStateStore.open(file, { readOnly: true });
    expect(fs.existsSync(dir + '/.basegate')).toBe(false);
    expect(await ro.get('tag', 'x')).toBeUndefined();
    for (const write of [ro.put('tag', 'x', 1), ro.delete('tag', 'x'), ro.appendAudit({ at: '2020-01-01T00:00:00.000Z', stage: 'detect', subject: 's', outcome: 'new' })]) {
      expect(await codeOf(write)).toBe('STATE_READ_ONLY');
    }
    expect(fs.readdirSync(dir)).toEqual([]);

    const writer = await FileStateStore.open(file);
    await writer.put('tag', 'x', { v: 1 });
    expect((await ro.get('tag', 'x'))!.value).toEqual({ v: 1 });
    const before = fs.readdirSync(path.dirname(file)).sort();
    await ro.list('tag');
    await ro.listAudit();
    await ro.close();
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(before);
    expect(fs.existsSync(`${file}.lock`)).toBe(true); // still the writer's
    await writer.close();
  });

  it('a closed store refuses calls', async () => {
    const store = await FileStateStore.open(file);
    await store.close();
    expect(await codeOf(store.get('tag', 'x'))).toBe('STATE_CLOSED');
  });
});
