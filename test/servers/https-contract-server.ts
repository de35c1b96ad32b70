/**
 * The loopback HTTPS server under every contract fake (ARM, Key Vault, the ACR data plane):
 * a fixed set of routes, a log of every request, and a list of violations. A request no route
 * matches, or a route that throws, is a violation: it is answered with an error status and
 * recorded, and the owning fake's `assertDone()` fails the test with it. Binds 127.0.0.1 on a
 * free port; the certificate is made at start (see self-signed-cert.ts).
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeSelfSignedCert } from './self-signed-cert';

/** One request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Epoch milliseconds when the request was complete. */
  at: number;
}

/** What a route answers. `json` is serialised with `application/json`. */
export interface ContractReply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

/** A route: method, a path pattern, and its handler. */
export interface ContractRoute {
  name: string;
  method: string;
  path: RegExp;
  handle(request: RecordedRequest, match: RegExpExecArray): ContractReply | Promise<ContractReply>;
}

/** A started server: where it listens, what it saw, what went wrong. */
export interface HttpsContractServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** The certificate clients must trust (PEM). */
  ca: string;
  requests: RecordedRequest[];
  violations: string[];
  /** Records a violation (used by routes that detect one themselves). */
  violation(message: string): void;
  close(): Promise<void>;
}

/** Starts an HTTPS server answering only `routes`; `notFound` shapes the reply to anything else. */
export async function startHttpsContractServer(options: {
  name: string;
  routes: () => ContractRoute[];
  notFound?: (request: RecordedRequest) => ContractReply;
}): Promise<HttpsContractServer> {
  const { key, cert } = makeSelfSignedCert(options.name);
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const violation = (message: string) => {
    violations.push(message);
  };
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      requests.push(request);
      void answer(request).then(
        (reply) => send(res, reply),
        (err: unknown) => {
          violation(`${options.name}: ${request.method} ${request.path} failed in the fake: ${(err as Error).stack ?? String(err)}`);
          send(res, { status: 500, json: { error: { code: 'FakeFailure', message: String(err) } } });
        },
      );
    });
  });

  async function answer(request: RecordedRequest): Promise<ContractReply> {
    for (const route of options.routes()) {
      if (route.method !== request.method) continue;
      const match = route.path.exec(request.path);
      if (match) return route.handle(request, match);
    }
    violation(`${options.name}: unexpected request ${request.method} ${request.path}?${request.query.toString()}`);
    return options.notFound?.(request) ?? { status: 404, json: { error: { code: 'NotFound', message: `no route for ${request.method} ${request.path}` } } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    requests,
    violations,
    violation,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: import('node:http').ServerResponse, reply: ContractReply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let body: Buffer | undefined;
  if (reply.json !== undefined) {
    body = Buffer.from(JSON.stringify(reply.json));
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else if (reply.text !== undefined) {
    body = Buffer.from(reply.text);
    headers['content-type'] ??= 'text/plain';
  }
  headers['content-length'] = String(body?.length ?? 0);
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** The request body as JSON; undefined when empty. Throws on malformed JSON (a violation). */
export function jsonBody(request: RecordedRequest): unknown {
  if (request.body.length === 0) return undefined;
  return JSON.parse(request.body.toString('utf8'));
}

/** The bearer token of a request, if any. */
export function bearerToken(request: RecordedRequest): string | undefined {
  const auth = request.headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  return value?.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}
