/**
 * Which invocation's telemetry is current, for events raised deep below the handler: the
 * registry client reports throttling (429 answers, a held-back rate budget) through its event
 * listener, which the composition root builds once per instance. An AsyncLocalStorage carries
 * the invocation's telemetry to it, so the `throttled` metric lands on the right invocation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RegistryEventListener } from '../oci/registry/events';
import type { Telemetry } from './telemetry';

const scope = new AsyncLocalStorage<Telemetry>();

/** Runs `fn` with `telemetry` current. */
export function withTelemetry<T>(telemetry: Telemetry, fn: () => Promise<T>): Promise<T> {
  return scope.run(telemetry, fn);
}

/** The registry event listener that counts throttled requests on the current invocation. */
export function registryTelemetry(): RegistryEventListener {
  return (event) => {
    if (event.type !== 'throttled') return;
    scope.getStore()?.metric('throttled', 1, { reason: event.reason, host: hostOf(event.url) });
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unknown';
  }
}
