/**
 * Runs one external program for a gate: no shell unless asked, its own process group so a
 * timeout kills the whole tree (a scanner's helpers included), stdout and stderr interleaved
 * into a bounded tail for the audit. It never throws for the program's sake: a spawn error,
 * a timeout and a death by signal are part of the result, so the caller decides what they mean.
 */
import { spawn } from 'node:child_process';

/** What to run and how. */
export interface RunProcessRequest {
  /** Program and arguments, passed as is (no shell). */
  argv: readonly string[];
  /** The whole environment of the program. */
  env: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  /** After SIGTERM on timeout, SIGKILL follows this many ms later. */
  killGraceMs: number;
  /** Bytes of interleaved stdout and stderr kept (the last ones). */
  tailBytes: number;
  /** Also keep stdout on its own, up to this many bytes (a scanner's report); more sets `stdoutOverflow`. */
  stdoutBytes?: number;
  signal?: AbortSignal;
}

/** How the program ended. */
export interface RunProcessResult {
  exitCode: number | null;
  /** Signal that ended it, when one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the program could not be started (ENOENT, EACCES...). */
  spawnError?: string;
  durationMs: number;
  /** The last `tailBytes` of stdout and stderr, as text. */
  output: string;
  /** Stdout on its own, when `stdoutBytes` was asked for. */
  stdout?: Buffer;
  /** Stdout was longer than `stdoutBytes` (and cut). */
  stdoutOverflow?: boolean;
}

/** Runs the program to its end (or its timeout) and reports how it ended. */
export function runProcess(request: RunProcessRequest): Promise<RunProcessResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let tail = Buffer.alloc(0);
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(request.argv[0], request.argv.slice(1), {
      env: request.env,
      cwd: request.cwd,
      // A new process group (setsid): killing -pid reaches every process the program started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > request.tailBytes) tail = tail.subarray(tail.length - request.tailBytes);
    };
    const stdout: Buffer[] = [];
    let stdoutLength = 0;
    let stdoutOverflow = false;
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    if (request.stdoutBytes !== undefined) {
      const limit = request.stdoutBytes;
      child.stdout?.on('data', (chunk: Buffer) => {
        if (stdoutLength + chunk.length > limit) stdoutOverflow = true;
        if (stdoutLength < limit) stdout.push(chunk.subarray(0, limit - stdoutLength));
        stdoutLength += chunk.length;
      });
    }

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch (err) {
        // ESRCH: the group is already gone; EPERM: its members already exited and the id is not ours to signal.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ESRCH' && code !== 'EPERM') throw err;
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), request.killGraceMs));
    };
    const onAbort = (): void => {
      aborted = true;
      stop();
    };

    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, request.timeoutMs),
    );
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = `${err.code ?? 'SPAWN_FAILED'}: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The program is done; whatever it left running in its group must not outlive the gate
      // (and would hold the pipes open, delaying 'close').
      killGroup('SIGKILL');
      // A process that left the group (setsid) may still hold the pipes: stop reading after the grace.
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, request.killGraceMs),
      );
    });
    child.on('close', () => {
      for (const t of timers) clearTimeout(t);
      request.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        aborted,
        spawnError,
        durationMs: Date.now() - started,
        output: tail.toString('utf8'),
        ...(request.stdoutBytes !== undefined ? { stdout: Buffer.concat(stdout), stdoutOverflow } : {}),
      });
    });
  });
}
