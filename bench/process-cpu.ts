/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat: the benchmark
 * prints what the registries and the counting proxy burn while a contender runs, because on a
 * small machine their CPU, not the contender's, sets how fast any client can go.
 * Undefined where /proc is not there (the figures are then left out).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

let ticks: number | undefined;

function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** CPU seconds each of `pids` uses while `run` runs (undefined entries where /proc cannot tell). */
export async function cpuDuring<T>(pids: Record<string, number>, run: () => Promise<T>): Promise<{ value: T; cpu: Record<string, number | undefined> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  const value = await run();
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => {
      const after = processCpuSeconds(pid);
      const start = before[k];
      return [k, after === undefined || start === undefined ? undefined : after - start];
    }),
  );
  return { value, cpu };
}
