/**
 * A second process for the FileStateStore tests (run with test/helpers/ts-register.cjs):
 *   hold <state>   opens the store, prints "ready", holds the lock until stdin closes
 *   try <state>    opens the store and prints {"ok":true} or {"code":...}
 *   read <state>   re-reads and parses the state file until stdin closes, then prints counts
 */
import * as fs from 'node:fs';
import { FileStateStore } from '../../functions/state/file-state-store';

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  if (mode === 'hold') {
    const store = await FileStateStore.open(file);
    await store.put('tag', 'held-by', { pid: process.pid });
    process.stdout.write('ready\n');
    await stdinClosed;
    await store.close();
  } else if (mode === 'try') {
    try {
      const store = await FileStateStore.open(file, { warn: () => undefined });
      await store.close();
      process.stdout.write(JSON.stringify({ ok: true }));
    } catch (err) {
      process.stdout.write(JSON.stringify({ code: (err as { code?: string }).code, message: (err as Error).message }));
    }
  } else if (mode === 'read') {
    let done = false;
    void stdinClosed.then(() => (done = true));
    const counts = { reads: 0, missing: 0, failures: 0, revisions: new Set<number>() };
    process.stdout.write('ready\n');
    while (!done) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        counts.missing++;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      counts.reads++;
      try {
        counts.revisions.add((JSON.parse(text) as { revision: number }).revision);
      } catch {
        counts.failures++;
      }
      await new Promise((r) => setImmediate(r));
    }
    process.stdout.write(JSON.stringify({ ...counts, revisions: counts.revisions.size }));
  }
}

main().catch((err) => {
  process.stderr.write(String((err as Error).stack));
  process.exit(1);
});
