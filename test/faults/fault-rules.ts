/**
 * Turns a round's planned faults into fault-proxy rules on the upstream side and the target
 * side. Rules are named after their kind, so the proxies' logs say which faults really acted
 * (a planned fault whose nth request never came did not happen and is not counted).
 */
import { createHash } from 'node:crypto';
import type { FaultRule } from '../helpers/fault-proxy';
import type { FaultKind, PlannedFault, RequestClass } from './fault-plan';
import type { RoundSetup } from './fault-world';

/** Client timeouts the in-process syncs use (fault-sync.ts); slow faults wait past them. */
export const CLIENT_TIMEOUT_MS = 300;
const SLOW_MS = CLIENT_TIMEOUT_MS + 200;

export interface FaultHooks {
  /** Moves image n's upstream tag to a new image. */
  moveTag(image: number): Promise<void>;
  /** SIGKILLs the basegate child process and waits for it to exit. */
  kill(): Promise<void>;
}

export interface RoundRules {
  source: FaultRule[];
  target: FaultRule[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Which requests of image `n` a class names. */
function match(setup: RoundSetup, n: number, on: RequestClass): Pick<FaultRule, 'method' | 'path'> & { side: 'source' | 'target' } {
  const src = escape(setup.sourceRepos[n]);
  const dst = escape(setup.targetRepos[n]);
  switch (on) {
    case 'source-head-manifest':
      return { side: 'source', method: 'HEAD', path: new RegExp(`^/v2/${src}/manifests/${escape(setup.tag)}$`) };
    case 'source-get-manifest':
      return { side: 'source', method: 'GET', path: new RegExp(`^/v2/${src}/manifests/sha256:`) };
    case 'source-get-blob':
      return { side: 'source', method: 'GET', path: new RegExp(`^/v2/${src}/blobs/sha256:`) };
    case 'target-head':
      return { side: 'target', method: 'HEAD', path: new RegExp(`^/v2/${dst}/(manifests|blobs)/`) };
    case 'target-upload':
      return { side: 'target', path: new RegExp(`^/v2/${dst}/blobs/uploads/`) };
    case 'target-put-manifest':
      return { side: 'target', method: 'PUT', path: new RegExp(`^/v2/${dst}/manifests/`) };
  }
}

const ociError = (code: string) => JSON.stringify({ errors: [{ code, message: 'injected by the fault suite' }] });
const json = { 'content-type': 'application/json' };

/** What a fault does to the request it acts on. */
function action(fault: PlannedFault, hooks: FaultHooks): Omit<FaultRule, 'method' | 'path' | 'nth' | 'times'> {
  const head = fault.on === 'source-head-manifest' || fault.on === 'target-head';
  const kinds: Record<FaultKind, () => Omit<FaultRule, 'method' | 'path'>> = {
    // Before the request reaches the registry, or just after it landed there (a write done, its record not yet made).
    'kill mid-promotion': () => (fault.param % 2 === 0 ? { before: () => hooks.kill(), hangup: true } : { after: () => hooks.kill() }),
    '429 + Retry-After': () => ({ respond: { status: 429, headers: { ...json, 'retry-after': String(fault.param) }, body: ociError('TOOMANYREQUESTS') } }),
    '429 no Retry-After': () => ({ respond: { status: 429, headers: json, body: ociError('TOOMANYREQUESTS') } }),
    '5xx': () => ({ respond: { status: fault.param, headers: json, body: ociError('UNAVAILABLE') } }),
    'reset mid-body': () => ({ reset: { after: fault.param } }),
    'truncated body': () => ({ truncate: { after: fault.param } }),
    'slow headers': () => ({ delayMs: SLOW_MS }),
    'stalled body': () => ({ stall: { after: fault.param, ms: SLOW_MS } }),
    'corrupt blob': () => ({ corrupt: { at: fault.param } }),
    'corrupt manifest': () => ({ corrupt: { at: fault.param } }),
    'lying digest header': () => ({ setHeaders: { 'docker-content-digest': `sha256:${createHash('sha256').update(`lie-${fault.param}`).digest('hex')}` } }),
    'lost ack': () => ({ dropAnswer: true }),
    'tag moved': () => ({ before: () => hooks.moveTag(fault.image) }),
    'persistent failure': () => (fault.param === 0 && !head ? { corrupt: { at: 0 } } : { respond: { status: 503, headers: json, body: ociError('UNAVAILABLE') } }),
  };
  return kinds[fault.kind]();
}

/** The rules of one round, split by proxy. */
export function rulesFor(setup: RoundSetup, hooks: FaultHooks): RoundRules {
  const rules: RoundRules = { source: [], target: [] };
  for (const fault of setup.plan.faults) {
    const { side, ...where } = match(setup, fault.image, fault.on);
    // A persistent fault acts on every matching request: with `nth` it could miss an image whose blobs were mounted.
    const when = fault.kind === 'persistent failure' ? {} : { nth: Array.from({ length: fault.times }, (_, k) => fault.nth + k) };
    rules[side].push({ name: fault.kind, ...where, ...when, ...action(fault, hooks) });
  }
  return rules;
}

/** Faults that acted, by kind, from the proxies' logs. */
export function firedFaults(...logs: Array<Array<{ rule?: string }>>): Map<string, number> {
  const fired = new Map<string, number>();
  for (const log of logs) for (const e of log) if (e.rule) fired.set(e.rule, (fired.get(e.rule) ?? 0) + 1);
  return fired;
}
