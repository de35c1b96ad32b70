/**
 * A stand-in for `@azure/functions`' `app` that records registrations instead of sending them to
 * a host (outside the host the real one runs in test mode and drops them). Tests read what
 * functions/app.ts's registrations declare and invoke the registered handlers themselves.
 */
import type { app as FunctionsApp, HttpFunctionOptions, StorageQueueFunctionOptions, TimerFunctionOptions } from '@azure/functions';

/** Everything registered, by function name. */
export interface RecordingApp {
  timers: Map<string, TimerFunctionOptions>;
  queues: Map<string, StorageQueueFunctionOptions>;
  http: Map<string, HttpFunctionOptions>;
  /** Registration order, as `kind:name`. */
  order: string[];
  /** The object to pass where `app` is expected. */
  app: typeof FunctionsApp;
}

/** A fresh recorder; a second registration under one name fails, as the host refuses duplicates. */
export function recordingApp(): RecordingApp {
  const timers = new Map<string, TimerFunctionOptions>();
  const queues = new Map<string, StorageQueueFunctionOptions>();
  const http = new Map<string, HttpFunctionOptions>();
  const order: string[] = [];
  const add = <T>(map: Map<string, T>, kind: string, name: string, options: T) => {
    if (order.some((o) => o.endsWith(`:${name}`))) throw new Error(`function ${name} registered twice`);
    map.set(name, options);
    order.push(`${kind}:${name}`);
  };
  const app = {
    timer: (name: string, options: TimerFunctionOptions) => add(timers, 'timer', name, options),
    storageQueue: (name: string, options: StorageQueueFunctionOptions) => add(queues, 'storageQueue', name, options),
    http: (name: string, options: HttpFunctionOptions) => add(http, 'http', name, options),
  } as unknown as typeof FunctionsApp;
  return { timers, queues, http, order, app };
}
