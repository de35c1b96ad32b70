/**
 * A hostile registry stand-in for the credential tests: one loopback port that answers both
 * https and plain http (the first byte of a connection tells a TLS ClientHello, 0x16, from an
 * HTTP request line), so a URL the registry hands out on its very own host and port but over
 * `http://` reaches the same server and is logged. Every request is logged with its scheme,
 * `Host` header, method, path and every header, before the test's handler answers it.
 *
 * It follows the distribution spec's shapes where the client relies on them (401 with
 * `WWW-Authenticate`, upload sessions answered 202 with `Location`, tag pages with `Link`,
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md) and lies where the
 * test wants it to: realms, locations and links pointing wherever the test says.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { makeSelfSignedCert } from './self-signed-cert';

/** One request as the stand-in received it. */
export interface LoggedRequest {
  scheme: 'http' | 'https';
  /** The `Host` header (`127.0.0.1:PORT`, or `localhost:PORT` when the client used that name). */
  host: string;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What the handler answers; a string or Buffer body as is, anything else as JSON. */
export interface HostileReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export type HostileHandler = (req: LoggedRequest) => HostileReply | Promise<HostileReply>;

/** A running stand-in. */
export interface HostileRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  port: number;
  /** PEM of its self-signed certificate (names 127.0.0.1 and localhost). */
  ca: string;
  /** Every request, in order, across both schemes. */
  log: LoggedRequest[];
  /** Replaces how requests are answered (the default answers 404 to everything). */
  handle(handler: HostileHandler): void;
  close(): Promise<void>;
}

/** Starts the stand-in on a free 127.0.0.1 port. */
export async function startHostileRegistry(): Promise<HostileRegistry> {
  const cert = makeSelfSignedCert('basegate-hostile-registry');
  const log: LoggedRequest[] = [];
  let handler: HostileHandler = () => ({ status: 404, body: { errors: [{ code: 'NAME_UNKNOWN', message: 'no handler' }] } });

  const serve = (scheme: 'http' | 'https') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const logged: LoggedRequest = { scheme, host: req.headers.host ?? '', method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      log.push(logged);
      Promise.resolve()
        .then(() => handler(logged))
        .catch((err: unknown): HostileReply => ({ status: 500, body: { errors: [{ code: 'UNKNOWN', message: String(err) }] } }))
        .then((reply: HostileReply) => {
          const json = reply.body !== undefined && typeof reply.body === 'object' && !Buffer.isBuffer(reply.body);
          const body = reply.body === undefined ? undefined : json ? JSON.stringify(reply.body) : (reply.body as string | Buffer);
          res.writeHead(reply.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...reply.headers }).end(body);
        });
    });
  };
  const plain = http.createServer(serve('http'));
  const secure = https.createServer({ key: cert.key, cert: cert.cert }, serve('https'));
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (front.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    ca: cert.cert,
    log,
    handle: (h) => void (handler = h),
    async close() {
      for (const s of sockets) s.destroy();
      plain.closeAllConnections();
      secure.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
