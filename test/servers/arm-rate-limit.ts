/**
 * Azure Resource Manager's request throttling for the ARM contract fake, as documented in
 * "Understand how Azure Resource Manager throttles requests"
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling):
 *
 * - a token bucket per subscription, per principal and per operation type: reads (GET, HEAD;
 *   the long-running-operation status polls are GETs and count), writes (PUT, POST, PATCH) and
 *   deletes; each request takes one token; an empty bucket answers 429 with `Retry-After`
 *   (seconds) until a token has been refilled;
 * - the documented sizes: reads 250 burst, 25/s refill; writes 200 burst, 10/s; deletes 200,
 *   10/s (overridable, so a test can make the limit bite with few requests);
 * - every answer carries `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`.
 *
 * The principal is the bearer token (the fake has one identity per token).
 */

/** One bucket's size and refill. */
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

export type ArmOperationKind = 'reads' | 'writes' | 'deletes';

/** Limits by operation type. */
export type ArmRateLimits = Record<ArmOperationKind, BucketLimit>;

/** The documented subscription limits. */
export const ARM_DOCUMENTED_LIMITS: ArmRateLimits = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
};

/** The operation type ARM counts a method as. */
export function operationKind(method: string): ArmOperationKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What one request was told. */
export interface RateDecision {
  allowed: boolean;
  kind: ArmOperationKind;
  /** Headers for the answer (remaining counts; Retry-After on a refusal). */
  headers: Record<string, string>;
}

/** Token buckets per (principal, operation type), refilled continuously. */
export class ArmRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Refusals by operation type. */
  readonly throttled: Record<ArmOperationKind, number> = { reads: 0, writes: 0, deletes: 0 };
  /** Requests let through by operation type. */
  readonly allowed: Record<ArmOperationKind, number> = { reads: 0, writes: 0, deletes: 0 };

  constructor(
    readonly limits: ArmRateLimits = ARM_DOCUMENTED_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for a request of `principal`, or refuses it. */
  take(principal: string, method: string): RateDecision {
    const kind = operationKind(method);
    const limit = this.limits[kind];
    const bucket = this.refilled(`${principal}|${kind}`, limit);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    (allowed ? this.allowed : this.throttled)[kind]++;
    const headers: Record<string, string> = {};
    for (const k of Object.keys(this.limits) as ArmOperationKind[]) {
      headers[`x-ms-ratelimit-remaining-subscription-${k}`] = String(Math.floor(this.refilled(`${principal}|${k}`, this.limits[k]).tokens));
    }
    if (!allowed) headers['retry-after'] = String(Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)));
    return { allowed, kind, headers };
  }

  private refilled(key: string, limit: BucketLimit): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    return bucket;
  }
}
