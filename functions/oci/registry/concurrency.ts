/**
 * Bounds the requests a host has in flight at once. A slot is held from sending until the
 * response headers arrive, not while the body streams: a copy holds a download open while it
 * uploads to the same host, and a slot held for the body would let N such copies deadlock.
 */
import type { Decorator } from './http';

/** A counting semaphore with a FIFO queue. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Waits for a free slot; call the returned function once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Requests holding a slot now. */
  get inFlight(): number {
    return this.active;
  }
}

/** Limits requests in flight per URL host to `limitOf(host)`. */
export function concurrencyLimit(limitOf: (host: string) => number): Decorator {
  const semaphores = new Map<string, Semaphore>();
  return (next) => async (req) => {
    const key = req.url.host;
    let semaphore = semaphores.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(limitOf(key));
      semaphores.set(key, semaphore);
    }
    const release = await semaphore.acquire();
    try {
      return await next(req);
    } finally {
      release();
    }
  };
}
