/**
 * A counting proxy in front of a real registry, in a child process (proxy-child.ts): the
 * request log of test/helpers/fault-proxy.ts summed by `METHOD kind status`, with the request
 * body bytes the client sent (PUT/PATCH bodies are what it uploaded).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** Requests and request-body bytes by `METHOD kind status` (kind: base, manifests, blobs, uploads, tags, referrers, other). */
export interface ProxySummary {
  requests: Record<string, number>;
  bodyBytes: Record<string, number>;
}

export interface ProxyProcess {
  /** `127.0.0.1:PORT`: the registry part of references. */
  host: string;
  /** The proxy's process, for its CPU time. */
  pid: number;
  summary(): Promise<ProxySummary>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

const REGISTER = path.join(__dirname, '..', 'test', 'helpers', 'ts-register.cjs');

/** Forks a counting proxy for `upstream` (`http://127.0.0.1:PORT`) and resolves once it listens. */
export async function startProxyProcess(upstream: string): Promise<ProxyProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'proxy-child.ts'), [upstream], { execArgv: ['-r', REGISTER], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiting = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`counting proxy exited with ${code} before listening`)));
    child.on('message', (m: { id: number; result: unknown }) => {
      if (m.id === 0) resolve(m.result as string);
      waiting.get(m.id)?.(m.result);
      waiting.delete(m.id);
    });
  });
  const ask = <T>(op: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new Error('counting proxy is gone'));
      const id = nextId++;
      waiting.set(id, (r) => resolve(r as T));
      child.send({ id, op });
    });
  return {
    host,
    pid: child.pid ?? -1,
    summary: () => ask<ProxySummary>('summary'),
    clear: () => ask<void>('clear'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Sums a summary's entries whose `METHOD kind status` key matches. */
export function sumOf(summary: ProxySummary, field: 'requests' | 'bodyBytes', match: RegExp): number {
  return Object.entries(summary[field])
    .filter(([key]) => match.test(key))
    .reduce((total, [, n]) => total + n, 0);
}
