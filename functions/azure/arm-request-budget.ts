/**
 * Keeps an ARM client inside Azure Resource Manager's per-principal request limits (issue #20),
 * so that promoting hundreds of tags at once paces itself instead of meeting a wall of 429s.
 *
 * ARM throttles with a token bucket per subscription, principal and operation type: reads
 * (GET/HEAD, which includes every long-running-operation status poll), writes (PUT/POST/PATCH,
 * `importImage` among them) and deletes; the documented sizes are reads 250 burst refilled at
 * 25/s, writes and deletes 200 at 10/s
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
 * This policy keeps the same buckets on the client:
 * - each attempt (it sits after the SDK's retry policies) takes a token of its kind, waiting for
 *   the refill when there is none, in arrival order; an aborted operation stops waiting;
 * - it refills at 80% of the stated rate (`PACE`): ARM's bucket starts at the first request it
 *   receives and arrival times jitter (a first request that opens a TLS connection lands later
 *   than the ones after it), so pacing at exactly the rate meets the odd 429;
 * - ARM's `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` on every answer lowers
 *   the local count when other callers of the same principal used some, and a 429 empties it;
 * - the 429 itself is still retried by the SDK honouring `Retry-After` (arm-client.ts): this
 *   policy only makes it rare. A refused request was not carried out, so nothing is repeated.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

/** What a wait can be aborted with (the SDK's `AbortSignalLike`, or a DOM `AbortSignal`). */
interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

const aborted = () => Object.assign(new Error('the ARM operation was aborted while waiting for its request budget'), { name: 'AbortError' });

/** Size and refill of one bucket. */
export interface ArmBucket {
  burst: number;
  perSecond: number;
}

export type ArmRequestKind = 'reads' | 'writes' | 'deletes';

/** Buckets by kind; any left out take the documented default. */
export type ArmRequestBudgetOptions = Partial<Record<ArmRequestKind, ArmBucket>>;

/** ARM's documented per-principal subscription limits. */
export const ARM_REQUEST_LIMITS: Record<ArmRequestKind, ArmBucket> = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
};

/** Share of the stated refill rate the client paces at, against clock skew and arrival jitter (see above). */
const PACE = 0.8;

/** The kind ARM counts a method as. */
export function armRequestKind(method: string): ArmRequestKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  return m === 'DELETE' ? 'deletes' : 'writes';
}

interface State {
  limit: ArmBucket;
  /** May go below zero: each waiter reserves its token, so waits are served in order. */
  tokens: number;
  at: number;
}

/** The client-side token buckets of one ARM client (one subscription, one principal). */
export class ArmRequestBudget {
  private readonly states: Record<ArmRequestKind, State>;
  /** Milliseconds waited for a token, by kind (for benchmarks and logs). */
  readonly waitedMs: Record<ArmRequestKind, number> = { reads: 0, writes: 0, deletes: 0 };

  constructor(
    options: ArmRequestBudgetOptions = {},
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: Abortable) => Promise<void> = abortableSleep,
  ) {
    const at = now();
    const state = (kind: ArmRequestKind): State => {
      const limit = options[kind] ?? ARM_REQUEST_LIMITS[kind];
      if (!(limit.burst >= 1 && limit.perSecond > 0)) throw new RangeError(`ARM request budget for ${kind}: burst must be ≥ 1 and perSecond > 0`);
      return { limit, tokens: limit.burst, at };
    };
    this.states = { reads: state('reads'), writes: state('writes'), deletes: state('deletes') };
  }

  /** Takes a token of `kind`, waiting for the refill when the bucket is empty. */
  async take(kind: ArmRequestKind, signal?: Abortable): Promise<void> {
    const s = this.refill(kind);
    s.tokens -= 1;
    if (s.tokens >= 0) return;
    const waitMs = (-s.tokens / (s.limit.perSecond * PACE)) * 1000;
    this.waitedMs[kind] += waitMs;
    try {
      await this.sleep(waitMs, signal);
    } catch (err) {
      s.tokens += 1; // the reservation is given back: the request is not sent
      throw err;
    }
  }

  /** Applies what ARM said about the principal's remaining requests (and a 429: none left). */
  observe(status: number, kind: ArmRequestKind, remaining: (kind: ArmRequestKind) => string | undefined): void {
    for (const k of Object.keys(this.states) as ArmRequestKind[]) {
      const value = Number(remaining(k));
      if (remaining(k) !== undefined && Number.isFinite(value)) {
        const s = this.refill(k);
        s.tokens = Math.min(s.tokens, value);
      }
    }
    if (status === 429) {
      const s = this.refill(kind);
      s.tokens = Math.min(s.tokens, 0);
    }
  }

  private refill(kind: ArmRequestKind): State {
    const s = this.states[kind];
    const now = this.now();
    s.tokens = Math.min(s.limit.burst, s.tokens + ((now - s.at) / 1000) * s.limit.perSecond * PACE);
    s.at = now;
    return s;
  }
}

/** The pipeline policy that spends `budget` (add it after the Retry phase, so every attempt pays). */
export function armRequestBudgetPolicy(budget: ArmRequestBudget): PipelinePolicy {
  return {
    name: 'basegateArmRequestBudget',
    async sendRequest(request, next) {
      const kind = armRequestKind(request.method);
      await budget.take(kind, request.abortSignal);
      const response = await next(request);
      budget.observe(response.status, kind, (k) => response.headers.get(`x-ms-ratelimit-remaining-subscription-${k}`));
      return response;
    },
  };
}

function abortableSleep(ms: number, signal?: Abortable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
