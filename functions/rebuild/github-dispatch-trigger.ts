/**
 * Rebuild through GitHub Actions: a `repository_dispatch` event, per the REST API "Create a
 * repository dispatch event" (https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event):
 *
 *   POST {apiUrl}/repos/{owner}/{repo}/dispatches
 *   Accept: application/vnd.github+json
 *   Authorization: Bearer <token>
 *   X-GitHub-Api-Version: 2022-11-28
 *   { "event_type": "<≤ 100 chars>", "client_payload": { <≤ 10 top-level keys> } }
 *   → 204 No Content
 *
 * The workflow reads the event as `github.event.client_payload` (the RebuildEvent fields) and
 * must list the event type in `on.repository_dispatch.types`. GitHub answers a rate limit with
 * 403 or 429 and `x-ratelimit-remaining: 0` or `retry-after`
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api): a delay, not a failure.
 */
import { ConfigError } from '../errors';
import type { RebuildEvent, RebuildOutcome } from '../pipeline/ports';
import { httpPost, parseRetryAfter, resolveHttpOptions, type HttpOptions, type ResolvedHttpOptions, type ResponseHeaders, type StatusVerdict } from './http-post';
import { rebuildPayload } from './rebuild-payload';
import type { RebuildTrigger, RebuildTriggerCallOptions } from './rebuild-trigger';
import { RebuildTriggerError } from './rebuild-trigger-error';
import { checkTokenSource, readToken, type TokenSource } from './token-source';
import { checkTransportSecurity } from './transport-security';

/** Documented limits of the dispatch endpoint. */
export const GITHUB_DISPATCH_LIMITS = { eventTypeLength: 100, clientPayloadKeys: 10 } as const;

/** REST API version this trigger speaks (header `X-GitHub-Api-Version`). */
export const GITHUB_API_VERSION = '2022-11-28';

const DEFAULTS = {
  /** github.com; GitHub Enterprise Server is `https://HOST/api/v3`. */
  apiUrl: 'https://api.github.com',
  /** The RebuildEvent's own name, so a workflow can subscribe without extra config. */
  eventType: 'base-image-promoted',
} as const;

/** Options of {@link GithubDispatchTrigger}: the `githubDispatch:` entry, the dependent id and the transport. */
export interface GithubDispatchTriggerOptions {
  id: string;
  /** `owner/repo`. */
  repository: string;
  /** The workflow's `on.repository_dispatch.types` entry; 1 to 100 characters. */
  eventType?: string;
  /** REST API root; `https://HOST/api/v3` for GitHub Enterprise Server. */
  apiUrl?: string;
  /** A token with contents write on the repository (fine-grained) or `repo` scope (classic), or a function returning one. */
  token: TokenSource;
  /** Allow plain http to a non-loopback `apiUrl` (never needed for GitHub itself). */
  insecure?: boolean;
  http?: HttpOptions;
}

/** {@link GithubDispatchTriggerOptions} checked and with defaults. */
export interface ResolvedGithubDispatchTriggerOptions {
  id: string;
  repository: string;
  eventType: string;
  token: TokenSource;
  /** The full dispatches endpoint. */
  url: URL;
  http: ResolvedHttpOptions;
}

/** The config's rule (functions/config/dependent-schema.ts); `.` and `..` are not repository names. */
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Checks repository (`owner/repo`), event type (1–100 chars), token and API URL. */
export function resolveGithubDispatchTriggerOptions(options: GithubDispatchTriggerOptions): ResolvedGithubDispatchTriggerOptions {
  const where = `githubDispatch ${options.id}`;
  if (typeof options.repository !== 'string' || !REPOSITORY.test(options.repository) || /\/\.\.?$/.test(options.repository)) {
    throw new ConfigError(`${where}: repository must be owner/repo, got ${JSON.stringify(options.repository)}`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  const eventType = options.eventType ?? DEFAULTS.eventType;
  if (typeof eventType !== 'string' || eventType.length === 0 || eventType.length > GITHUB_DISPATCH_LIMITS.eventTypeLength) {
    throw new ConfigError(`${where}: eventType must be 1 to ${GITHUB_DISPATCH_LIMITS.eventTypeLength} characters`, { code: 'REBUILD_CONFIG_INVALID' });
  }
  const token = checkTokenSource(options.token, `${where}: token`);
  const api = checkTransportSecurity(options.apiUrl ?? DEFAULTS.apiUrl, { what: `${where}: apiUrl`, insecure: options.insecure });
  const [owner, repo] = options.repository.split('/');
  const url = new URL(`${api.pathname.replace(/\/+$/, '')}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/dispatches`, api);
  return { id: options.id, repository: options.repository, eventType, token, url, http: resolveHttpOptions(options.http) };
}

/** Sends `repository_dispatch` events to one repository. */
export class GithubDispatchTrigger implements RebuildTrigger {
  readonly id: string;
  private readonly options: ResolvedGithubDispatchTriggerOptions;

  constructor(options: GithubDispatchTriggerOptions) {
    this.options = resolveGithubDispatchTriggerOptions(options);
    this.id = this.options.id;
  }

  /** Creates the dispatch event; resolves on 2xx (GitHub answers 204), throws a `RebuildTriggerError` otherwise. */
  async trigger(event: RebuildEvent, call: RebuildTriggerCallOptions = {}): Promise<RebuildOutcome> {
    const { url, eventType, repository, http } = this.options;
    const clientPayload = rebuildPayload(event);
    const keys = Object.keys(clientPayload).length;
    if (keys > GITHUB_DISPATCH_LIMITS.clientPayloadKeys) {
      throw new RebuildTriggerError({
        code: 'REBUILD_PAYLOAD_INVALID',
        temporary: false,
        kind: 'githubDispatch',
        url: url.toString(),
        message: `githubDispatch ${this.id}: client_payload has ${keys} top-level keys, GitHub accepts at most ${GITHUB_DISPATCH_LIMITS.clientPayloadKeys}`,
      });
    }
    const token = await readToken(this.options.token, `githubDispatch ${this.id}: token`);
    const body = Buffer.from(JSON.stringify({ event_type: eventType, client_payload: clientPayload }), 'utf8');
    const res = await httpPost(
      {
        kind: 'githubDispatch',
        url,
        body,
        signal: call.signal,
        secrets: [token],
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'x-github-api-version': GITHUB_API_VERSION,
          'content-type': 'application/json',
        },
        classify: githubRateLimit,
      },
      http,
    );
    return { status: 'triggered', detail: `repository_dispatch ${eventType} to ${repository} accepted with ${res.status}` };
  }

  /** Closes the connection pool built for a configured CA. */
  close(): Promise<void> {
    return this.options.http.close();
  }
}

/**
 * GitHub's rate limits answer 403 as often as 429: primary with `x-ratelimit-remaining: 0`
 * (wait until `x-ratelimit-reset`, epoch seconds), secondary with `retry-after` or a message
 * saying so (wait at least a minute). Other 403s (no permission) stay permanent.
 */
export function githubRateLimit(status: number, headers: ResponseHeaders, body: string, now = Date.now()): StatusVerdict | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) return { code: 'REBUILD_THROTTLED', temporary: true, retryAfter };
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return { code: 'REBUILD_THROTTLED', temporary: true, retryAfter: Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - now / 1000)) : 60 };
  }
  if (/secondary rate limit/i.test(body)) return { code: 'REBUILD_THROTTLED', temporary: true, retryAfter: 60 };
  return undefined;
}
