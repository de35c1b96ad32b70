/**
 * The StateStore contract, run against both backends: the local file store and the Azure
 * Table store on the shared Azurite. Each test gets a fresh store (own directory / own tables).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TableStateStore } from '../../functions/azure/table-state-store';
import type { AuditRecord, StateStore } from '../../functions/pipeline/ports';
import { FileStateStore } from '../../functions/state/file-state-store';
import { MAX_VALUE_CHARS } from '../../functions/state/state-value';
import { codeOf } from '../helpers/code-of';
import { testEnv } from '../servers/test-env';

interface Backend {
  /** A fresh, empty store. */
  open(): Promise<StateStore>;
  /** Another store on the same data (a second process / function instance). */
  reopen(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

function fileBackend(): Backend {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-state-'));
  const file = path.join(dir, '.basegate', 'state.json');
  return {
    open: () => FileStateStore.open(file),
    reopen: () => FileStateStore.open(file),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

let tableCounter = 0;
function tableBackend(): Backend {
  const suffix = `${Date.now().toString(36)}${process.pid}${tableCounter++}`;
  const options = { connectionString: testEnv().azurite.connectionString, stateTable: `st${suffix}`, auditTable: `au${suffix}` };
  return { open: async () => new TableStateStore(options), reopen: async () => new TableStateStore(options), cleanup: async () => undefined };
}

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function audit(subject: string, outcome: string, i: number): AuditRecord {
  return { at: new Date(Date.UTC(2020, 0, 1, 0, 0, i)).toISOString(), stage: 'detect', subject, digest: D1, outcome, detail: { i } };
}

describe.each([
  ['file', fileBackend],
  ['table (Azurite)', tableBackend],
])('StateStore contract: %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: StateStore;

  beforeEach(async () => {
    backend = makeBackend();
    store = await backend.open();
  });

  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('get of an absent record is undefined', async () => {
    expect(await store.get('tag', 'nothing-here')).toBeUndefined();
  });

  it('put then get returns the value and the same etag; values are copies', async () => {
    const value = { seenDigest: D1, firstSeen: [{ digest: D1, at: '2020-01-01T00:00:00.000Z' }], status: 'new' };
    const etag = await store.put('tag', 'img:20', value);
    expect(typeof etag).toBe('string');
    const got = await store.get<typeof value>('tag', 'img:20');
    expect(got).toEqual({ value, etag });
    got!.value.status = 'mutated';
    value.status = 'mutated-too';
    expect((await store.get<typeof value>('tag', 'img:20'))!.value.status).toBe('new');
  });

  it('a put with the current etag succeeds and changes the etag; a stale etag is a STATE_CONFLICT', async () => {
    const first = await store.put('tag', 'k', { n: 1 });
    const second = await store.put('tag', 'k', { n: 2 }, { etag: first });
    expect(second).not.toBe(first);
    expect(await codeOf(store.put('tag', 'k', { n: 3 }, { etag: first }))).toBe('STATE_CONFLICT');
    expect((await store.get('tag', 'k'))!.value).toEqual({ n: 2 });
  });

  it('an etag put on an absent record is a STATE_CONFLICT', async () => {
    const etag = await store.put('tag', 'gone', { n: 1 });
    await store.delete('tag', 'gone');
    expect(await codeOf(store.put('tag', 'gone', { n: 2 }, { etag }))).toBe('STATE_CONFLICT');
    expect(await store.get('tag', 'gone')).toBeUndefined();
  });

  it('of concurrent updates from the same version exactly one wins', async () => {
    const etag = await store.put('verdict', 'v', { attempts: 0 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => store.put('verdict', 'v', { attempts: n }, { etag })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['STATE_CONFLICT', 'STATE_CONFLICT', 'STATE_CONFLICT']);
    expect((await store.get('verdict', 'v'))!.etag).toBe((won[0] as PromiseFulfilledResult<string>).value);
  });

  it('ifAbsent claims once: of concurrent claims exactly one succeeds', async () => {
    const key = `${D1}|webhook:https://ci.example.com/hook`;
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((who) => store.put('rebuild', key, { who }, { ifAbsent: true })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await codeOf(store.put('rebuild', key, { who: 'late' }, { ifAbsent: true }))).toBe('STATE_CONFLICT');
  });

  it('refuses etag and ifAbsent together, and values that are not JSON', async () => {
    expect(await codeOf(store.put('tag', 'x', 1, { etag: '"1"', ifAbsent: true }))).toBe('STATE_OPTIONS_INVALID');
    expect(await codeOf(store.put('tag', 'x', undefined))).toBe('STATE_VALUE_INVALID');
  });

  it('lists one kind, sorted by key, with keys of any characters round-tripping', async () => {
    const keys = ['docker.io/library/node→base/node:20-alpine', 'a/b\\c#d?e', "quote'(paren)*!", 'ünïcode ✓ space', `x@${D1}|dep`, 'ctl\u0001char', `long/${'k'.repeat(1500)}`];
    for (const key of keys) await store.put('tag', key, { key });
    await store.put('verdict', 'other-kind', { other: true });
    const listed = await store.list<{ key: string }>('tag');
    expect(listed.map((r) => r.key)).toEqual([...keys].sort());
    for (const r of listed) {
      expect(r.value.key).toBe(r.key);
      expect((await store.get('tag', r.key))!.etag).toBe(r.etag);
    }
    expect(await store.list('promotion')).toEqual([]);
  });

  it('lists a key range in key order up to a limit, reading only that range', async () => {
    for (const key of ['0000000003.b', '0000000001.a', '0000000002.c:x', '0000000001.b', 'zz-other']) await store.put('delivery', key, { key });
    const keys = async (range: Parameters<StateStore['list']>[1]) => (await store.list<{ key: string }>('delivery', range)).map((r) => r.key);
    expect(await keys({ before: '0000000003' })).toEqual(['0000000001.a', '0000000001.b', '0000000002.c:x']);
    expect(await keys({ before: '0000000003', limit: 2 })).toEqual(['0000000001.a', '0000000001.b']);
    expect(await keys({ from: '0000000002', before: '0000000004' })).toEqual(['0000000002.c:x', '0000000003.b']);
    expect(await keys({ from: '0000000009' })).toEqual(['zz-other']);
    expect(await keys({ limit: 1 })).toEqual(['0000000001.a']);
  });

  it('delete removes a record; deleting an absent one is fine; a re-created record gets a new etag', async () => {
    const old = await store.put('approval', 'k', { decision: 'approved' });
    await store.delete('approval', 'k');
    await store.delete('approval', 'k');
    expect(await store.get('approval', 'k')).toBeUndefined();
    const fresh = await store.put('approval', 'k', { decision: 'rejected' }, { ifAbsent: true });
    expect(fresh).not.toBe(old);
    expect(await codeOf(store.put('approval', 'k', {}, { etag: old }))).toBe('STATE_CONFLICT');
  });

  it('stores large values (chunked in Table Storage) and refuses oversize ones clearly', async () => {
    // Non-ASCII throughout, so characters sit on every chunk and request-buffer boundary.
    const big = { text: 'ab€😀'.repeat(15_000), list: Array.from({ length: 2000 }, (_, i) => i) };
    await store.put('promotion', 'big', big);
    const got = (await store.get<typeof big>('promotion', 'big'))!.value;
    expect(got.text.length).toBe(big.text.length);
    expect(got.text === big.text).toBe(true); // not toEqual: a diff of this string would flood the log
    expect(got.list).toEqual(big.list);
    const emoji = '😀'.repeat(30_000); // broke on Azurite when stored as raw UTF-8 (a character across two 64 KiB body buffers)
    await store.put('promotion', 'emoji', { emoji });
    expect((await store.get<{ emoji: string }>('promotion', 'emoji'))!.value.emoji === emoji).toBe(true);
    expect(await codeOf(store.put('promotion', 'huge', { text: 'x'.repeat(MAX_VALUE_CHARS) }))).toBe('STATE_VALUE_TOO_LARGE');
  });

  it('audit lists oldest first, filters by subject, and limit keeps the newest', async () => {
    const a = 'docker.io/library/node:20-alpine';
    const b = 'docker.io/library/node:22-alpine';
    const records = [audit(a, 'new', 1), audit(b, 'new', 2), audit(a, 'changed', 3), audit(a, 'approved', 4), audit(b, 'changed', 5)];
    for (const r of records) await store.appendAudit(r);
    expect(await store.listAudit()).toEqual(records);
    expect(await store.listAudit({ subject: a })).toEqual([records[0], records[2], records[3]]);
    expect(await store.listAudit({ subject: a, limit: 2 })).toEqual([records[2], records[3]]);
    expect(await store.listAudit({ limit: 1 })).toEqual([records[4]]);
    expect(await store.listAudit({ subject: 'docker.io/library/none:1' })).toEqual([]);
  });

  it('audit keeps append order even for records of the same instant', async () => {
    const records = Array.from({ length: 12 }, (_, i) => ({ ...audit('s', `o${i}`, 0) }));
    for (const r of records) await store.appendAudit(r);
    expect((await store.listAudit({ subject: 's' })).map((r) => r.outcome)).toEqual(records.map((r) => r.outcome));
  });

  it('another store on the same data sees what was written', async () => {
    const etag = await store.put('tag', 'persisted', { ok: true });
    await store.appendAudit(audit('p', 'promoted', 1));
    await store.close();
    store = await backend.reopen();
    expect(await store.get('tag', 'persisted')).toEqual({ value: { ok: true }, etag });
    expect((await store.listAudit({ subject: 'p' })).map((r) => r.outcome)).toEqual(['promoted']);
    expect(await codeOf(store.put('tag', 'persisted', { ok: false }, { etag }))).toBeUndefined();
  });
});

describe('TableStateStore options', () => {
  it.each([
    [{}, 'either a connection string, or an endpoint and a credential'],
    [{ connectionString: 'UseDevelopmentStorage=true', endpoint: 'https://a.table.core.windows.net' }, 'not both'],
    [{ endpoint: 'https://a.table.core.windows.net' }, 'an endpoint needs a credential'],
    [{ connectionString: 'UseDevelopmentStorage=true', stateTable: 'bad-name' }, 'table name "bad-name"'],
  ])('refuses %j', (options, message) => {
    expect(() => new TableStateStore(options)).toThrow(expect.objectContaining({ code: 'STATE_OPTIONS_INVALID', message: expect.stringContaining(message) }));
  });

  it('accepts an endpoint with a TokenCredential (managed identity)', () => {
    // Not exercised against a server: the SDK sends bearer tokens over https only, and Azurite serves http here.
    const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
    expect(new TableStateStore({ endpoint: 'https://acct.table.core.windows.net', credential })).toBeInstanceOf(TableStateStore);
  });
});
