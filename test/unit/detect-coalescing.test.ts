/** Detect coalescing per (image, tag) (issue #15) over a real state store: now, one trailing, then covered; a failed send is given back. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coalesceDetect, releaseCoalescing } from '../../functions/pipeline/detect-coalescing';
import { FileStateStore } from '../../functions/state/file-state-store';

let dir: string;
let state: FileStateStore;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-coalesce-'));
  state = await FileStateStore.open(path.join(dir, 'state.json'));
});
afterEach(async () => {
  await state.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const decide = (ms: number, tag: string | undefined = 'v1') => coalesceDetect(state, { imageId: 'img', tag, now: at(ms), windowMs: 60_000 });

it('sends the first request now, schedules one trailing detect for the window end, covers the rest, and opens a new window after', async () => {
  expect((await decide(0)).decision).toEqual({ send: 'now' });
  expect((await decide(10_000)).decision).toEqual({ send: 'delayed', delaySeconds: 50, at: at(60_000).toISOString() });
  expect((await decide(59_999)).decision).toEqual({ send: 'none', coveredBy: at(60_000).toISOString() });
  expect((await decide(60_000)).decision).toEqual({ send: 'now' });
  // Another tag, and the whole image, have windows of their own.
  expect((await decide(60_001, 'v2')).decision).toEqual({ send: 'now' });
  expect((await coalesceDetect(state, { imageId: 'img', tag: undefined, now: at(60_001), windowMs: 60_000 })).decision).toEqual({ send: 'now' });
});

it('of concurrent first requests exactly one sends now and one schedules the trailing detect', async () => {
  const decisions = await Promise.all(Array.from({ length: 20 }, () => decide(1000)));
  const kinds = decisions.map((d) => d.decision.send).sort();
  expect(kinds.filter((k) => k === 'now')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'delayed')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'none')).toHaveLength(18);
});

it('gives a claim back when its detect could not be sent, so the retry sends', async () => {
  const first = await decide(0);
  await releaseCoalescing(state, first.claim!);
  expect((await decide(1000)).decision).toEqual({ send: 'now' });
  const trailing = await decide(2000);
  expect(trailing.decision.send).toBe('delayed');
  await releaseCoalescing(state, trailing.claim!);
  expect((await decide(3000)).decision.send).toBe('delayed');
});
