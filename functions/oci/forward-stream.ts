/**
 * `forward(from, to)`: pipes a readable into a stream that consumes it, with the two rules the
 * copier needs from `stream.pipeline()`: an error of `from` destroys `to` with it, and `to` closing
 * before `from` ended (a consumer giving up, a failed verification) destroys `from`, freeing its
 * connection. `pipeline()` does the same but costs far more per call on Node 20 (it builds an
 * AbortController and a DOMException for every call: 0.2 s of CPU in a 190 MB first sync, issue
 * #20); a blob copy makes two of these per blob.
 */
import type { Duplex, Readable } from 'node:stream';

/** Pipes `from` into `to`, propagating `from`'s error to `to` and `to`'s early close to `from`. */
export function forward(from: Readable, to: Duplex): void {
  from.once('error', (err) => to.destroy(err));
  to.once('close', () => {
    if (!from.readableEnded) from.destroy();
  });
  from.pipe(to);
}
