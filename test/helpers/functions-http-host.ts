/**
 * A loopback stand-in for the Functions host's HTTP front end (Core Tools cannot be installed
 * here, facts.md), serving the HTTP routes an app registered on a recorder (recording-app.ts):
 * - routing as the host does: `/api/<route>` with `{name}` segments bound to `request.params`
 *   (https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#customize-the-http-endpoint);
 * - authorization levels: a `function` route needs that function's key (or the host key) in
 *   `?code=` or `x-functions-key`, else 401 with an empty body; `anonymous` needs nothing
 *   (https://learn.microsoft.com/azure/azure-functions/function-keys-how-to);
 * - the raw body bytes and headers handed over in a real `HttpRequest`, the handler's
 *   `HttpResponseInit` written back (JSON bodies serialised).
 * Unknown paths and methods answer 404, as the host does.
 *
 * With `easyAuth`, it also stands in for App Service authentication in front of the host, as
 * `authsettingsV2` with `requireAuthentication` and `unauthenticatedClientAction: Return401`
 * configures it (https://learn.microsoft.com/azure/app-service/overview-authentication-authorization):
 * every `X-MS-CLIENT-PRINCIPAL*` header a client sends is removed; a path under `excludedPaths`
 * passes unauthenticated; any other request needs `Authorization: Bearer <token>` for a token the
 * stand-in issued (`easyAuth.tokens`, standing in for Entra ID's validation), else 401 before the
 * host sees it; an accepted token's principal is injected as the platform injects it.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext, type HttpFunctionOptions, type HttpResponseInit } from '@azure/functions';
import type { RecordingApp } from './recording-app';

/** The App Service authentication stand-in: tokens it accepts, each with the principal header it injects. */
export interface EasyAuthStandIn {
  tokens: Record<string, { principal: string; name: string }>;
  /** Paths served without authentication (authsettingsV2 globalValidation.excludedPaths). */
  excludedPaths: readonly string[];
}

/** A running host front end. */
export interface FunctionsHttpHost {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The key of each function (what `az functionapp function keys list` shows as `default`). */
  functionKeys: Record<string, string>;
  /** The `default` host key, which opens every function-level route. */
  hostKey: string;
  /** Every request answered, with the function that took it (undefined: refused or unrouted). */
  served: Array<{ method: string; path: string; functionName?: string; status: number }>;
  close(): Promise<void>;
}

interface Route {
  name: string;
  options: HttpFunctionOptions;
  pattern: RegExp;
  params: string[];
}

function compile(name: string, options: HttpFunctionOptions): Route {
  const params: string[] = [];
  const source = (options.route ?? name)
    .split('/')
    .map((segment) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[1]);
      return '([^/]+)';
    })
    .join('/');
  return { name, options, pattern: new RegExp(`^/api/${source}/?$`, 'i'), params };
}

/** Serves `recorder.http` on 127.0.0.1 until closed. */
export async function startFunctionsHttpHost(recorder: RecordingApp, options: { easyAuth?: EasyAuthStandIn } = {}): Promise<FunctionsHttpHost> {
  const routes = [...recorder.http].map(([name, options]) => compile(name, options));
  const functionKeys = Object.fromEntries(routes.map((r) => [r.name, randomBytes(24).toString('base64url')]));
  const hostKey = randomBytes(24).toString('base64url');
  const served: FunctionsHttpHost['served'] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const method = (req.method ?? 'GET').toUpperCase();
        const answer = (status: number, fn?: string, init: HttpResponseInit = {}) => {
          served.push({ method, path: url.pathname, functionName: fn, status });
          const headers = { ...(init.headers as Record<string, string> | undefined) };
          const body = init.jsonBody !== undefined ? JSON.stringify(init.jsonBody) : typeof init.body === 'string' ? init.body : '';
          res.writeHead(status, headers);
          res.end(body);
        };
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !(options.easyAuth && k.startsWith('x-ms-client-principal'))) headers[k] = v;
        const easyAuth = options.easyAuth;
        if (easyAuth && !easyAuth.excludedPaths.some((p) => p.toLowerCase() === url.pathname.toLowerCase())) {
          const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
          const issued = bearer === undefined ? undefined : easyAuth.tokens[bearer];
          if (!issued) return answer(401);
          headers['x-ms-client-principal'] = issued.principal;
          headers['x-ms-client-principal-name'] = issued.name;
          headers['x-ms-client-principal-idp'] = 'aad';
        }
        let params: Record<string, string> = {};
        const route = routes.find((r) => {
          const m = r.pattern.exec(url.pathname);
          if (!m || !(r.options.methods ?? ['GET', 'POST']).includes(method as never)) return false;
          params = Object.fromEntries(r.params.map((p, i) => [p, m[i + 1]]));
          return true;
        });
        if (!route) return answer(404);
        if ((route.options.authLevel ?? 'anonymous') !== 'anonymous') {
          const key = url.searchParams.get('code') ?? req.headers['x-functions-key'];
          if (key !== functionKeys[route.name] && key !== hostKey) return answer(401, route.name);
        }
        const body = chunks.length > 0 ? { bytes: Buffer.concat(chunks) } : undefined;
        const request = new HttpRequest({ method, url: url.toString(), headers, body, params });
        const context = new InvocationContext({ invocationId: randomBytes(8).toString('hex'), functionName: route.name, logHandler: () => undefined });
        try {
          const init = (await route.options.handler(request, context)) as HttpResponseInit;
          answer(init.status ?? 200, route.name, init);
        } catch {
          // The host answers 500 with no detail when a function throws.
          answer(500, route.name);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    functionKeys,
    hostKey,
    served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
