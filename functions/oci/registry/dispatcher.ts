/**
 * The bottom of the transport stack: undici `request()` over one `Agent` per registry host
 * (connection pooling and keep-alive per origin), with the connect, headers and body timeouts
 * on every request. Hosts outside the configuration (token realms, blob storage a registry
 * redirects to) share one more agent with the same timeouts.
 *
 * Connections are not capped here: a caller may hold a blob stream open while it uploads to
 * the same host, and a capped pool would then wait on itself. The number of requests started
 * at once is bounded by `concurrency.ts` instead.
 */
import { Agent, request } from 'undici';
import type { HttpRequest, HttpResponse, Transport } from './http';
import type { ResolvedRegistryClientOptions } from './options';

/** Owns the undici agents of one client; `close()` releases their sockets. */
export class Dispatchers {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly options: ResolvedRegistryClientOptions) {}

  /** The agent for a URL's host (one per host, created on first use). */
  for(url: URL): Agent {
    const key = url.host;
    let agent = this.agents.get(key);
    if (!agent) {
      const { connectMs, headersMs, bodyMs } = this.options.timeouts;
      agent = new Agent({ connect: { timeout: connectMs, ...(this.options.ca ? { ca: this.options.ca } : {}) }, headersTimeout: headersMs, bodyTimeout: bodyMs });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every agent (waits for requests in flight to finish). */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }
}

/** The innermost transport: one undici request, nothing added. */
export function undiciTransport(dispatchers: Dispatchers): Transport {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body?.(),
      dispatcher: dispatchers.for(req.url),
      // undici closes the connection after every HEAD unless told otherwise (nodejs/undici#258, for servers that send
      // a body with HEAD); registries answer HEAD correctly, and detect is one HEAD per tag: a new connection each cost ~2x.
      reset: false,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, request: { method: req.method, url: req.url } };
  };
}
