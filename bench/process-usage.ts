/**
 * What a benchmarked process cost: wall time, CPU (user + system) and peak RSS, from GNU time
 * (`/usr/bin/time -f`, Debian's `time` package), which reads the kernel's rusage of the child
 * when it exits, so nothing is sampled and nothing is missed. Where GNU time is not installed
 * the CPU and RSS figures are left out (undefined), never guessed.
 *
 * A side of a benchmark may run several processes (skopeo: one per repository): `addUsage`
 * sums their CPU and wall time and keeps the largest peak RSS, the figure the targets name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const GNU_TIME = '/usr/bin/time';
const FORMAT = '%e %U %S %M';

/** Cost of one process, or a side's processes added up. */
export interface Usage {
  wall: number;
  /** User + system CPU seconds. */
  cpu?: number;
  /** Largest resident set of any one process, bytes. */
  peakRss?: number;
}

let available: boolean | undefined;

/** True when GNU time can measure the processes. */
export function usageMeasurable(): boolean {
  available ??= fs.existsSync(GNU_TIME);
  return available;
}

/** The command line that runs `command` under GNU time, writing its figures to a fresh file. */
export function measuredCommand(command: string, args: string[]): { command: string; args: string[]; read(wall: number): Usage } {
  if (!usageMeasurable()) return { command, args, read: (wall) => ({ wall }) };
  const out = path.join(os.tmpdir(), `basegate-bench-usage-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  return {
    command: GNU_TIME,
    args: ['-f', FORMAT, '-o', out, command, ...args],
    read(wall) {
      let text = '';
      try {
        text = fs.readFileSync(out, 'utf8');
      } finally {
        fs.rmSync(out, { force: true });
      }
      // GNU time writes "Command exited with non-zero status N" first when the command fails; the figures are the last line.
      const [, user, sys, rssKiB] = text.trim().split('\n').pop()!.split(' ').map(Number);
      if (![user, sys, rssKiB].every(Number.isFinite)) return { wall };
      return { wall, cpu: user + sys, peakRss: rssKiB * 1024 };
    },
  };
}

/** Two processes' costs as one side's: times and CPU summed, the larger RSS. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    wall: a.wall + b.wall,
    cpu: a.cpu === undefined || b.cpu === undefined ? undefined : a.cpu + b.cpu,
    peakRss: a.peakRss === undefined || b.peakRss === undefined ? undefined : Math.max(a.peakRss, b.peakRss),
  };
}

/** `123 MB` (10^6 bytes, as the targets are stated). */
export function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1e6).toFixed(0)} MB`;
}
