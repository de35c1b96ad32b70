/**
 * A loopback HTTP proxy in front of a real registry, for tests that need to count requests
 * or see the client survive a fault. It forwards everything (streaming both ways), keeps a
 * request log, and applies scripted or seeded rules to matching requests:
 *
 * - match: method, path regex, query regex; then the nth occurrence(s), at most `times`
 *   times, or with a `probability` drawn from a PRNG seeded by `seed` (same seed, same faults);
 * - act: `hangup` without answering; `respond` without forwarding (a 429 with or without Retry-After, a 503, a 401 challenge);
 *   add, replace or drop response headers (rate-limit headers, Docker-Content-Digest); corrupt
 *   a body byte; truncate the body; reset the connection mid-body; stall mid-body; delay;
 *   `transform` a buffered upstream answer; forward but `dropAnswer` (the upstream did the work,
 *   the client never hears it); or run a `before` hook first (move a tag, kill a client).
 *
 * `Location` and `Link` headers that point at the upstream are rewritten to the proxy, so a
 * client keeps going through it. `WWW-Authenticate` is left alone: the token issuer stays
 * direct, as Docker Hub's auth.docker.io is a different host from its registry.
 * Each rule counts every request its filters match; the first rule that acts wins.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the rule does to a matching request. Fields combine (e.g. `delayMs` with `setHeaders`). */
export interface FaultAction {
  /** Waits before forwarding (or responding). */
  delayMs?: number;
  /** Closes the connection without answering (the client sees a socket error before any header). */
  hangup?: boolean;
  /** Answers this instead of forwarding. */
  respond?: { status: number; headers?: Record<string, string>; body?: string | Buffer; /** Sends no Content-Length (chunked). */ chunked?: boolean };
  /** Response headers to add or replace (lowercase names). */
  setHeaders?: Record<string, string>;
  /** Response headers to remove. */
  dropHeaders?: string[];
  /** Flips the byte at `at` (default 0) of the response body. */
  corrupt?: { at?: number };
  /** Ends the body cleanly after `after` bytes (Content-Length dropped, so the answer is complete but short). */
  truncate?: { after: number };
  /** Destroys the connection after `after` body bytes (the client sees a reset). */
  reset?: { after: number };
  /** Rewrites the buffered upstream answer (status, headers, body). */
  transform?: (answer: ProxiedAnswer, request: { method: string; url: URL; headers: http.IncomingHttpHeaders }) => Partial<ProxiedAnswer>;
  /** Pauses `ms` once `after` body bytes are sent (a stalled transfer, for body timeouts). */
  stall?: { after: number; ms: number };
  /** Forwards the request, waits for the upstream's answer, then closes the connection without relaying it (a lost acknowledgement). */
  dropAnswer?: boolean;
  /** Awaited before anything else happens to the request (after `delayMs`): moves a tag upstream, kills a client, ... */
  before?: (request: { method: string; url: URL }) => void | Promise<void>;
  /** Forwards the request, waits for the whole upstream answer, awaits this (kills a client whose write just landed), then closes the connection unanswered. */
  after?: (request: { method: string; url: URL }) => void | Promise<void>;
}

/** An upstream answer as `transform` sees it. */
export interface ProxiedAnswer {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

/** A rule: which requests, which occurrences, what to do. */
export interface FaultRule extends FaultAction {
  /** Names the rule in the log. */
  name?: string;
  method?: string;
  /** Matched against the path (without query). */
  path?: RegExp;
  /** Matched against the query string (without `?`). */
  query?: RegExp;
  /** 1-based occurrences (among requests this rule matches) to act on. */
  nth?: number | number[];
  /** Acts at most this many times. */
  times?: number;
  /** Acts with this probability (seeded PRNG). */
  probability?: number;
}

/** One request through the proxy. */
export interface ProxyLogEntry {
  method: string;
  path: string;
  query: string;
  status?: number;
  /** Request body bytes received from the client. */
  bytesIn: number;
  /** Response body bytes sent to the client. */
  bytesOut: number;
  /** The rule that acted, if any. */
  rule?: string;
  /** Headers the client sent (tests check what reached which host). */
  requestHeaders: http.IncomingHttpHeaders;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use it as the registry part of references. */
  host: string;
  log: ProxyLogEntry[];
  /** Replaces the rules (and their occurrence counters). */
  setRules(rules: FaultRule[]): void;
  /** Adds rules beside the current ones (concurrent scenarios on distinct paths); returns a function that removes exactly these. */
  addRules(rules: FaultRule[]): () => void;
  /** Requests by `METHOD kind` (kind: base, manifests, blobs, uploads, tags, referrers, other). */
  counts(): Record<string, number>;
  /** Requests matching a method and a path regex. */
  count(method: string, path?: RegExp): number;
  clearLog(): void;
  /** Drops every rule and clears the log: a clean proxy for the next test. */
  reset(): void;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** `http://127.0.0.1:PORT` of the real registry. */
  upstream: string;
  rules?: FaultRule[];
  seed?: number;
}

/** A small seeded PRNG (mulberry32): the same seed draws the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kind of registry endpoint a path names. */
export function pathKind(path: string): string {
  if (path === '/v2/' || path === '/v2') return 'base';
  if (/\/blobs\/uploads\//.test(path)) return 'uploads';
  if (/\/manifests\/[^/]+$/.test(path)) return 'manifests';
  if (/\/blobs\/[^/]+$/.test(path)) return 'blobs';
  if (/\/tags\/list$/.test(path)) return 'tags';
  if (/\/referrers\/[^/]+$/.test(path)) return 'referrers';
  return 'other';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the proxy on a free loopback port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const random = seededRandom(options.seed ?? 1);
  const agent = new http.Agent({ keepAlive: true });
  const log: ProxyLogEntry[] = [];
  let rules: Array<{ rule: FaultRule; seen: number; acted: number }> = [];
  const setRules = (next: FaultRule[]): void => {
    rules = next.map((rule) => ({ rule, seen: 0, acted: 0 }));
  };
  setRules(options.rules ?? []);
  let self = '';

  /** Every rule counts the requests its filters match (so `nth` is "the nth such request"); the first that acts wins. */
  const pick = (method: string, url: URL): FaultRule | undefined => {
    const matching = rules.filter(({ rule }) => {
      if (rule.method && rule.method.toUpperCase() !== method) return false;
      if (rule.path && !rule.path.test(url.pathname)) return false;
      if (rule.query && !rule.query.test(url.search.slice(1))) return false;
      return true;
    });
    for (const r of matching) r.seen++;
    for (const r of matching) {
      const { rule } = r;
      if (rule.nth !== undefined && !(Array.isArray(rule.nth) ? rule.nth : [rule.nth]).includes(r.seen)) continue;
      if (rule.times !== undefined && r.acted >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      r.acted++;
      return rule;
    }
    return undefined;
  };

  const rewrite = (value: string): string => value.split(upstream.origin).join(`http://${self}`);

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${self}`);
      const method = (req.method ?? 'GET').toUpperCase();
      const entry: ProxyLogEntry = { method, path: url.pathname, query: url.search.slice(1), bytesIn: 0, bytesOut: 0, requestHeaders: req.headers };
      log.push(entry);
      const rule = pick(method, url);
      if (rule) entry.rule = rule.name ?? (rule.path ? String(rule.path) : method);
      req.on('data', (c: Buffer) => (entry.bytesIn += c.length));
      if (rule?.delayMs) await sleep(rule.delayMs);
      if (rule?.before) await rule.before({ method, url });
      // A client that gave up while the request was held (a timeout, a kill) is not forwarded for: a write must not land late.
      if (req.socket.destroyed) return;
      if (rule?.hangup) {
        req.socket.destroy();
        return;
      }
      if (rule?.respond) {
        req.resume();
        const body = rule.respond.body === undefined ? Buffer.alloc(0) : Buffer.from(rule.respond.body);
        entry.status = rule.respond.status;
        entry.bytesOut = method === 'HEAD' ? 0 : body.length;
        res.writeHead(rule.respond.status, { ...(rule.respond.chunked ? {} : { 'content-length': String(body.length) }), ...(rule.respond.headers ?? {}) });
        res.end(method === 'HEAD' ? undefined : body);
        return;
      }
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
        (answer) => void relay(answer),
      );
      up.on('error', () => res.destroy());
      req.pipe(up);

      async function relay(answer: http.IncomingMessage): Promise<void> {
        if (rule?.dropAnswer || rule?.after) {
          entry.status = answer.statusCode;
          answer.resume();
          await new Promise((resolve) => answer.once('end', resolve));
          await rule.after?.({ method, url });
          req.socket.destroy();
          return;
        }
        const headers: http.OutgoingHttpHeaders = { ...answer.headers };
        for (const name of ['location', 'link']) {
          const v = headers[name];
          if (typeof v === 'string') headers[name] = rewrite(v);
        }
        for (const name of rule?.dropHeaders ?? []) delete headers[name.toLowerCase()];
        Object.assign(headers, rule?.setHeaders ?? {});
        let status = answer.statusCode ?? 502;
        if (rule?.transform) {
          const chunks: Buffer[] = [];
          for await (const c of answer) chunks.push(c as Buffer);
          const changed = rule.transform({ status, headers, body: Buffer.concat(chunks) }, { method, url, headers: req.headers });
          const body = changed.body ?? Buffer.concat(chunks);
          status = changed.status ?? status;
          const out = { ...(changed.headers ?? headers), 'content-length': String(body.length) };
          entry.status = status;
          entry.bytesOut = method === 'HEAD' ? 0 : body.length;
          res.writeHead(status, out);
          res.end(method === 'HEAD' ? undefined : body);
          return;
        }
        if (rule?.truncate) {
          delete headers['content-length'];
          delete headers['transfer-encoding'];
        }
        entry.status = status;
        res.writeHead(status, headers);
        if (rule?.reset && rule.reset.after === 0) {
          res.flushHeaders();
          setImmediate(() => res.socket?.destroy());
          answer.destroy();
          return;
        }
        let offset = 0;
        for await (const c of answer) {
          let chunk = c as Buffer;
          if (rule?.corrupt) {
            const at = rule.corrupt.at ?? 0;
            if (at >= offset && at < offset + chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[at - offset] ^= 0xff;
            }
          }
          const limit = rule?.truncate?.after ?? rule?.reset?.after;
          if (limit !== undefined && offset + chunk.length >= limit) {
            const part = chunk.subarray(0, limit - offset);
            entry.bytesOut += part.length;
            answer.destroy();
            if (rule?.reset) {
              res.write(part, () => res.socket?.destroy());
            } else {
              res.end(part);
            }
            return;
          }
          if (rule?.stall && offset <= rule.stall.after && rule.stall.after < offset + chunk.length) {
            const head = chunk.subarray(0, rule.stall.after - offset);
            if (head.length > 0) res.write(head);
            await sleep(rule.stall.ms);
            if (res.destroyed) {
              answer.destroy();
              return;
            }
            chunk = chunk.subarray(head.length);
            offset += head.length;
            entry.bytesOut += head.length;
          }
          offset += chunk.length;
          entry.bytesOut += chunk.length;
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      }
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    host: self,
    log,
    setRules,
    addRules(more: FaultRule[]) {
      const added = more.map((rule) => ({ rule, seen: 0, acted: 0 }));
      rules = [...rules, ...added];
      return () => {
        rules = rules.filter((r) => !added.includes(r));
      };
    },
    counts() {
      const out: Record<string, number> = {};
      for (const e of log) {
        const key = `${e.method} ${pathKind(e.path)}`;
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
    count(method: string, path?: RegExp) {
      return log.filter((e) => e.method === method.toUpperCase() && (!path || path.test(e.path))).length;
    },
    clearLog() {
      log.length = 0;
    },
    reset() {
      setRules([]);
      log.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
