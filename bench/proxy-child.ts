/**
 * Runs test/helpers/fault-proxy.ts as a counting proxy in its own process (forked by
 * proxy-process.ts), so that counting requests never takes CPU from the client being timed.
 * Speaks over IPC: `summary`, `clear`; stops and exits when its parent disconnects or goes away.
 */
import { pathKind, startFaultProxy } from '../test/helpers/fault-proxy';
import type { ProxySummary } from './proxy-process';

interface Ask {
  id: number;
  op: 'summary' | 'clear';
}

async function serve(upstream: string): Promise<void> {
  const proxy = await startFaultProxy({ upstream });
  const reply = (id: number, result: unknown): void => {
    process.send?.({ id, result });
  };
  process.on('message', (ask: Ask) => {
    if (ask.op === 'summary') {
      const summary: ProxySummary = { requests: {}, bodyBytes: {} };
      for (const e of proxy.log) {
        const key = `${e.method} ${pathKind(e.path)} ${e.status ?? 'none'}`;
        summary.requests[key] = (summary.requests[key] ?? 0) + 1;
        summary.bodyBytes[key] = (summary.bodyBytes[key] ?? 0) + e.bytesIn;
      }
      reply(ask.id, summary);
    } else {
      proxy.clearLog();
      reply(ask.id, null);
    }
  });
  process.on('disconnect', () => void proxy.stop().finally(() => process.exit(0)));
  process.send?.({ id: 0, result: proxy.host });
}

void serve(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`proxy-child: ${(err as Error).message}\n`);
  process.exit(1);
});
