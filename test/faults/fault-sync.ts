/**
 * The two ways a round runs basegate:
 * - in process: the CLI's composition root (`composeCli`) and `sync()`, as `basegate sync`
 *   does, with small client timeouts and retry delays so that slow faults time out quickly;
 * - as a child process: the real CLI (`functions/cli.ts sync --json`), which the kill fault
 *   SIGKILLs mid-promotion.
 * Everything either prints is kept, to be grepped for the planted secrets.
 */
import type { ChildProcess } from 'node:child_process';
import { composeCli } from '../../functions/cli/compose';
import { sync, type SyncReport } from '../../functions/pipeline/sync';
import { spawnCli, type CliChild } from '../helpers/cli-child';
import { CLIENT_TIMEOUT_MS } from './fault-rules';
import type { FaultWorld, RoundSetup } from './fault-world';

/** The client the in-process syncs use: timeouts the slow faults exceed, short backoffs. */
const REGISTRY_OPTIONS = {
  timeouts: { connectMs: 2_000, headersMs: CLIENT_TIMEOUT_MS, bodyMs: CLIENT_TIMEOUT_MS },
  retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 1_500 },
};
/** Rebuild attempts within one sync, quickly. */
const REBUILD_RETRY = { attempts: 2, baseMs: 5, maxMs: 20 };

/** Runs one sync in process; resolves with the report and what `--json` would print. */
export async function syncInProcess(world: FaultWorld, setup: RoundSetup): Promise<{ report: SyncReport; output: string }> {
  const runtime = await composeCli({ configFile: setup.configFile, stateFile: setup.stateFile, env: world.env, registryOptions: REGISTRY_OPTIONS });
  try {
    const report = await sync(runtime.images, { ...runtime.deps, retry: REBUILD_RETRY });
    return { report, output: JSON.stringify(report, null, 2) };
  } finally {
    await runtime.close();
  }
}

/** Holds the running child so the kill fault can reach it. */
export class ChildSlot {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  kills = 0;

  /** Runs `basegate sync --json` on the round's config as a separate node process, with the round's environment added. */
  run(world: FaultWorld, setup: RoundSetup): CliChild['done'] {
    const { child, done } = spawnCli(['sync', '--config', setup.configFile, '--state', setup.stateFile, '--json'], world.env);
    this.child = child;
    this.exited = done.then(() => undefined);
    return done.finally(() => (this.child = undefined));
  }

  /** SIGKILLs the running child (no chance to clean up: the lock and any half-done work stay) and waits for it to go. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.kills++;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
