/**
 * Gate `closure`, always on: what promoting the digest writes (oci/closure.ts: every index
 * entry, nested index, attachment and referrer) resolves within its bounds, `maxTotalSize`
 * (default 10 GiB) and `maxManifests` (default 500), and is content basegate handles. Content
 * is pinned, so a refusal is a verdict (`fail`), not a retry; a registry outage is `pending`.
 */
import { ContentRejectedError } from '../errors';
import type { Gate } from '../pipeline/gate-port';
import { formatBytes } from './human-units';

/** Passes with the closure's counts; fails naming the bound or the content refused. */
export function closureGate(): Gate {
  return {
    name: 'closure',
    async evaluate({ inspector }) {
      try {
        const closure = await inspector.closure();
        const count = (kind: string) => closure.entries.filter((e) => e.kind === kind).length;
        const detail = { manifests: closure.entries.length, runnable: count('image'), attachments: count('attachment'), referrers: closure.referrers.length, totalSize: closure.totalSize };
        return { gate: 'closure', outcome: 'pass', reasons: [], detail: { ...detail, totalSizeText: formatBytes(closure.totalSize) } };
      } catch (err) {
        if (err instanceof ContentRejectedError) return { gate: 'closure', outcome: 'fail', reasons: [err.message], detail: { code: err.code } };
        throw err;
      }
    },
  };
}
