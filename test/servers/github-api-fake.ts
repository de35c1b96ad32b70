/**
 * Contract stand-in for the GitHub REST API endpoint "Create a repository dispatch event"
 * (https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event), which cannot be
 * reached from tests. It checks the documented request (path, Accept, Bearer token, API version,
 * User-Agent, `event_type` ≤ 100 chars, `client_payload` object ≤ 10 top-level keys, no other
 * body keys) and answers as GitHub does: 204, 401 "Bad credentials", 422 "Invalid request".
 * Strict: every request must be expected; a contract violation fails the test.
 */
import { jsonPostProblems, startScriptedServer, type Reply, type ScriptedServer } from './scripted-http-server';
import type { SelfSignedCert } from './self-signed-cert';

/** A dispatch as received. */
export interface ReceivedDispatch {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: { event_type?: unknown; client_payload?: unknown } & Record<string, unknown>;
}

/** What one expected dispatch checks and answers. */
export interface DispatchExpectation {
  /** `owner/repo` the request must address. */
  repository: string;
  /** The request is expected to carry another token: answer 401 as GitHub does, not a problem. */
  badCredentials?: boolean;
  /** Answer this instead of 204 (rate limits, outages), after the same checks. */
  reply?: Reply;
}

/** The fake: a scripted server plus the dispatches it accepted. */
export interface GithubApiFake extends ScriptedServer {
  /** The `apiUrl` to configure (includes `pathPrefix`). */
  apiUrl: string;
  dispatches: ReceivedDispatch[];
  expectDispatch(expectation: DispatchExpectation): void;
}

const DOCS = 'https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event';

/** Starts the fake; `token` is the only credential it accepts; `pathPrefix` emulates GHES' `/api/v3`; HTTPS with `tls`. */
export async function startGithubApiFake(options: { token: string; pathPrefix?: string; tls?: SelfSignedCert }): Promise<GithubApiFake> {
  const server = await startScriptedServer({ name: 'GitHub API contract fake', tls: options.tls });
  const prefix = options.pathPrefix ?? '';
  const dispatches: ReceivedDispatch[] = [];
  server.onReset(() => void (dispatches.length = 0));
  return Object.assign(server, {
    apiUrl: `${server.url}${prefix}`,
    dispatches,
    expectDispatch(expectation: DispatchExpectation) {
      server.expect({
        label: `POST ${prefix}/repos/${expectation.repository}/dispatches`,
        handle(req) {
          const { problems, json } = jsonPostProblems(req);
          const path = `${prefix}/repos/${expectation.repository}/dispatches`;
          if (req.path !== path) {
            problems.push(`path ${req.path}, expected ${path}`);
            return { problems, reply: { status: 404, body: { message: 'Not Found', documentation_url: DOCS } } };
          }
          if (req.headers.accept !== 'application/vnd.github+json') problems.push(`Accept ${req.headers.accept}, expected application/vnd.github+json`);
          if (req.headers['x-github-api-version'] !== '2022-11-28') problems.push(`X-GitHub-Api-Version ${req.headers['x-github-api-version']}`);
          // "All API requests must include a valid User-Agent header" (GitHub REST API docs): 403 otherwise.
          if (!req.headers['user-agent']) problems.push('no User-Agent');
          const authorized = req.headers.authorization === `Bearer ${options.token}`;
          if (expectation.badCredentials) {
            if (authorized) problems.push('expected a wrong token, got the right one');
            return { problems, reply: { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } } };
          }
          if (!authorized) {
            problems.push('Authorization is not "Bearer <token>"');
            return { problems, reply: { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } } };
          }
          const body = (json ?? {}) as ReceivedDispatch['body'];
          const invalid: string[] = [];
          if (typeof body.event_type !== 'string' || body.event_type.length < 1 || body.event_type.length > 100) invalid.push('event_type must be a string of 1 to 100 characters');
          const payload = body.client_payload;
          if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) invalid.push('client_payload must be an object');
          else if (payload && Object.keys(payload).length > 10) invalid.push(`client_payload has ${Object.keys(payload).length} top-level properties, at most 10`);
          const extra = Object.keys(body).filter((k) => k !== 'event_type' && k !== 'client_payload');
          if (extra.length) invalid.push(`unknown body keys ${extra.join(', ')}`);
          problems.push(...invalid);
          if (invalid.length) return { problems, reply: { status: 422, body: { message: 'Invalid request.', errors: invalid, documentation_url: DOCS } } };
          dispatches.push({ path: req.path, headers: req.headers, body });
          return { problems, reply: expectation.reply ?? { status: 204 } };
        },
      });
    },
  });
}
