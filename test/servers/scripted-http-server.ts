/**
 * A strict scripted HTTP(S) server on 127.0.0.1, the base of the contract stand-ins (GitHub,
 * Azure DevOps) and the webhook receivers. Each expected request is a step, answered in order;
 * a request with no step left, or one that breaks the contract a step checks, is recorded as a
 * problem, and `assertDone()` fails the test on any problem or unused step.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as received: the raw body bytes, exactly as sent. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What a step answers. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A string or bytes as is; anything else as JSON. */
  body?: string | Buffer | object;
  /** Wait before answering (to exercise client timeouts). */
  delayMs?: number;
}

/** One expected request: checks it (returning contract violations) and chooses the reply. */
export interface Step {
  label: string;
  handle(req: RecordedRequest): { reply: Reply; problems?: string[] };
}

/** A running scripted server. */
export interface ScriptedServer {
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Unexpected requests and contract violations so far. */
  problems: string[];
  /** Appends expected requests. */
  expect(...steps: Step[]): void;
  /** Throws on any problem or unused step; then clears the script and the records for the next test. */
  assertDone(): void;
  /** Registers more state to clear on {@link assertDone} (a wrapper's own records). */
  onReset(clear: () => void): void;
  close(): Promise<void>;
}

/** Starts a scripted server (HTTPS when `tls` is given) on a free loopback port. */
export async function startScriptedServer(options: { name: string; tls?: { key: string; cert: string } }): Promise<ScriptedServer> {
  const steps: Step[] = [];
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const resets: Array<() => void> = [];

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const step = steps.shift();
      let reply: Reply;
      if (!step) {
        problems.push(`${options.name}: unexpected request ${recorded.method} ${req.url}`);
        reply = { status: 500, body: { message: `${options.name}: unexpected request` } };
      } else {
        const handled = step.handle(recorded);
        for (const p of handled.problems ?? []) problems.push(`${options.name}: ${step.label}: ${p}`);
        reply = handled.reply;
      }
      const send = () => {
        const body = reply.body === undefined ? undefined : typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body);
        const headers = { ...(body !== undefined && !reply.headers?.['content-type'] && typeof reply.body === 'object' && !Buffer.isBuffer(reply.body) ? { 'content-type': 'application/json' } : {}), ...reply.headers };
        res.writeHead(reply.status, headers).end(body);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send();
        }, reply.delayMs);
        timers.add(timer);
        res.on('close', () => clearTimeout(timer));
      } else {
        send();
      }
    });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    problems,
    expect: (...more) => void steps.push(...more),
    assertDone() {
      const failures = [...problems, ...steps.map((s) => `${options.name}: expected request never came: ${s.label}`)];
      problems.length = 0;
      steps.length = 0;
      requests.length = 0;
      for (const clear of resets) clear();
      if (failures.length > 0) throw new Error(failures.join('\n'));
    },
    onReset: (clear) => void resets.push(clear),
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Problems of a request whose method, content type or JSON body is not as expected. */
export function jsonPostProblems(req: RecordedRequest): { problems: string[]; json: unknown } {
  const problems: string[] = [];
  if (req.method !== 'POST') problems.push(`method ${req.method}, expected POST`);
  if (!/^application\/json(;|$)/.test(req.headers['content-type'] ?? '')) problems.push(`content-type ${req.headers['content-type']}, expected application/json`);
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    problems.push('body is not JSON');
  }
  return { problems, json };
}
