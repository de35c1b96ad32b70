/**
 * The frame every benchmark runs in: a header naming the machine (numbers mean little without
 * it), and a cleanup stack that stops every process and removes every temp dir the benchmark
 * started, on success, on failure and on Ctrl-C / SIGTERM alike.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type CleanupStep = () => Promise<void> | void;

/** Things to undo, last registered first. */
export class Cleanup {
  private readonly steps: Array<{ what: string; step: CleanupStep }> = [];

  /** Registers an undo step; returns the value for chaining (`cleanup.add(await startX(), ...)`). */
  add<T>(what: string, value: T, step: (value: T) => Promise<void> | void): T {
    this.steps.push({ what, step: () => step(value) });
    return value;
  }

  /** A fresh temp dir, removed at the end. */
  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `basegate-bench-${prefix}-`));
    return this.add(`temp dir ${dir}`, dir, (d) => fs.rmSync(d, { recursive: true, force: true }));
  }

  /** Runs every step once, newest first; a failing step is reported and the others still run. */
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const { what, step } = this.steps.pop()!;
      try {
        await step();
      } catch (err) {
        process.stderr.write(`cleanup: ${what} failed: ${(err as Error).message}\n`);
      }
    }
  }
}

/** One line about the machine and its load, printed at the top of every benchmark. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.release()}, load average ${load}`;
}

/** Runs a benchmark with a cleanup stack; exits 0, 1 on failure, 130 on Ctrl-C, after cleaning up. */
export function runBench(title: string, body: (cleanup: Cleanup) => Promise<void>): void {
  const cleanup = new Cleanup();
  let cleaning: Promise<void> | undefined;
  // A Ctrl-C during a failure's cleanup (or the reverse) waits for the one cleanup before exiting.
  const stop = async (code: number): Promise<never> => {
    cleaning ??= cleanup.run();
    await cleaning;
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${title}: ${signal}, cleaning up\n`);
      void stop(130);
    });
  }
  process.stdout.write(`${title}\n${machineLine()}\n\n`);
  body(cleanup).then(
    () => stop(0),
    (err: unknown) => {
      process.stderr.write(`${title} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      return stop(1);
    },
  );
}

/** Seconds an async call takes, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - started) / 1000, value };
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A plain text table, columns padded; numbers right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+]?[\d.,]+(?:\s?[%x×sKMG]i?B?)?$/;
  return rows
    .map((r, ri) => r.map((cell, i) => (ri > 0 && numeric.test(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}
