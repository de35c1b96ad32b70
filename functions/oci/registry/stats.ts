/**
 * Counts what goes over the wire (requests by method, bytes up and down) for benchmarks, and
 * reports each exchange as a `request` event. Sits just above undici, so token fetches, pings
 * and redirects count like any other request.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { redactUrl } from '../../errors';
import { forward } from '../forward-stream';
import { emit, type RegistryEventListener } from './events';
import type { Decorator } from './http';

/** A snapshot of a client's traffic. */
export interface RegistryStats {
  /** Requests sent, by HTTP method (retries and token fetches included). */
  requests: Record<string, number>;
  /** Request body bytes sent. */
  bytesUp: number;
  /** Response body bytes received (what the caller read). */
  bytesDown: number;
}

/** Counts traffic through one client. */
export class TrafficCounter {
  private readonly requests: Record<string, number> = {};
  private up = 0;
  private down = 0;

  constructor(private readonly onEvent?: RegistryEventListener) {}

  /** A copy of the counters now. */
  snapshot(): RegistryStats {
    return { requests: { ...this.requests }, bytesUp: this.up, bytesDown: this.down };
  }

  /** The decorator that feeds the counters. */
  decorator(): Decorator {
    return (next) => async (req) => {
      this.requests[req.method] = (this.requests[req.method] ?? 0) + 1;
      const body = req.body;
      const counted = body
        ? () => {
            const b = body();
            if (Buffer.isBuffer(b)) {
              this.up += b.length;
              return b;
            }
            return this.count(b, (n) => (this.up += n));
          }
        : undefined;
      const started = performance.now();
      const res = await next({ ...req, body: counted });
      emit(this.onEvent, { type: 'request', method: req.method, url: redactUrl(res.request.url.toString()), status: res.status, durationMs: Math.round(performance.now() - started) });
      return { ...res, body: this.count(res.body, (n) => (this.down += n)) };
    };
  }

  private count(source: Readable, add: (n: number) => void): Readable {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        add(chunk.length);
        callback(null, chunk);
      },
    });
    // Errors reach the consumer through `counter`, which forward() destroys with them.
    forward(source, counter);
    return counter;
  }
}
