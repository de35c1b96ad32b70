/**
 * Reads a host's pull budget from Docker Hub's rate-limit headers and keeps a reserve.
 *
 * Docker Hub answers `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600`
 * (pulls per window of w seconds; https://docs.docker.com/docker-hub/usage/pulls/), the form
 * of the IETF RateLimit header draft, where a value may list several policies
 * (`10, 10;w=1, 50;w=60`): the first item is the one in force. Every response updates the
 * host's reading, HEAD included (Docker Hub reports the budget on HEAD without spending it).
 *
 * When `remaining` falls below the host's `minRemaining`, pull-counted requests (GET of a
 * manifest or a blob) are refused with a temporary `RATE_BUDGET` error before they are sent,
 * while HEAD and the rest still go through: detection keeps working on a drained budget.
 */
import { redactUrl, RegistryError } from '../../errors';
import { emit, type RegistryEventListener } from './events';
import { header, type Decorator, type HttpRequest } from './http';

/** The latest rate-limit reading of one host. */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** Length of the window the limit applies to, when the registry says. */
  windowSeconds?: number;
  /** When the reading was taken. */
  at: Date;
}

/** Parses one rate-limit header value (`100;w=21600`, `76`, `10, 50;w=60`); undefined when unreadable. */
export function parseRateLimitHeader(value: string | undefined): { value: number; windowSeconds?: number } | undefined {
  if (value === undefined) return undefined;
  const [first] = value.split(',');
  const [amount, ...params] = first.split(';').map((p) => p.trim());
  if (!/^\d+$/.test(amount)) return undefined;
  const window = params.map((p) => /^w\s*=\s*(\d+)$/i.exec(p)?.[1]).find((w) => w !== undefined);
  return { value: Number(amount), ...(window !== undefined ? { windowSeconds: Number(window) } : {}) };
}

const PULL_COUNTED = /^\/v2\/.+\/(?:manifests|blobs)\/[^/]+$/;

/** True for the requests Docker Hub counts as pulls: GET of a manifest or a blob. */
export function isPullCounted(req: Pick<HttpRequest, 'method' | 'url'>): boolean {
  return req.method === 'GET' && PULL_COUNTED.test(req.url.pathname);
}

/** Tracks rate-limit readings per host and refuses pulls that would eat into the reserve. */
export class RateBudget {
  private readonly readings = new Map<string, RateLimit>();

  constructor(
    private readonly minRemainingOf: (host: string) => number,
    private readonly onEvent?: RegistryEventListener,
  ) {}

  /** The latest reading for a registry host; undefined until the host sent rate-limit headers. */
  latest(host: string): RateLimit | undefined {
    const reading = this.readings.get(host);
    return reading && { ...reading };
  }

  /** The decorator that reads the headers and enforces the reserve. */
  decorator(): Decorator {
    return (next) => async (req) => {
      const reading = this.readings.get(req.host);
      const reserve = this.minRemainingOf(req.host);
      if (reading && reading.remaining < reserve && isPullCounted(req)) {
        const url = redactUrl(req.url.toString());
        emit(this.onEvent, { type: 'throttled', method: req.method, url, reason: 'budget' });
        throw new RegistryError({
          code: 'RATE_BUDGET',
          message: `${req.method} ${url}: held back, ${req.host} has ${reading.remaining} of ${reading.limit} pulls left and ${reserve} are kept in reserve`,
          method: req.method,
          url: req.url.toString(),
          temporary: true,
        });
      }
      const res = await next(req);
      if (res.request.url.host === req.url.host) this.record(req.host, header(res.headers, 'ratelimit-limit'), header(res.headers, 'ratelimit-remaining'));
      return res;
    };
  }

  private record(host: string, limitHeader: string | undefined, remainingHeader: string | undefined): void {
    const limit = parseRateLimitHeader(limitHeader);
    const remaining = parseRateLimitHeader(remainingHeader);
    if (!limit || !remaining) return;
    const windowSeconds = limit.windowSeconds ?? remaining.windowSeconds;
    const reading: RateLimit = { limit: limit.value, remaining: remaining.value, ...(windowSeconds !== undefined ? { windowSeconds } : {}), at: new Date() };
    this.readings.set(host, reading);
    emit(this.onEvent, { type: 'rateLimit', host, limit: reading.limit, remaining: reading.remaining, windowSeconds });
  }
}
