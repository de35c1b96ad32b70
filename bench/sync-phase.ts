/**
 * One measured step of the sync benchmark: run one contender into its own target (behind its
 * own counting proxy), time it, count what it uploaded, and check that every tag in the target
 * now points at the upstream digest (a fast wrong copy would be worth nothing).
 */
import { rawGetManifest } from '../test/helpers/raw-registry';
import { timed } from './bench-run';
import { sumOf, type ProxyProcess } from './proxy-process';
import type { Tagged } from './sync-seed';

export interface PhaseSample {
  seconds: number;
  /** Request body bytes sent to blob upload endpoints (POST/PATCH/PUT …/blobs/uploads/). */
  blobBytes: number;
  /** Request body bytes of manifest PUTs. */
  manifestBytes: number;
  /** Requests to the target, all kinds. */
  requests: number;
  /** Blob mounts the target accepted (POST …/blobs/uploads/?mount= answered 201). */
  mounts: number;
}

export interface Target {
  /** The registry itself, for checking (`127.0.0.1:PORT`). */
  registry: string;
  proxy: ProxyProcess;
}

/** Times `run` against `target` and checks the result. */
export async function measurePhase(target: Target, expected: Tagged[], targetRepo: (sourceRepo: string) => string, run: () => Promise<unknown>): Promise<PhaseSample> {
  await target.proxy.clear();
  const { seconds } = await timed(run);
  const summary = await target.proxy.summary();
  for (const { repo, tag, image } of expected) {
    const found = await rawGetManifest({ host: target.registry }, targetRepo(repo), tag);
    if (found?.digest !== image.digest) throw new Error(`after the run, ${target.registry}/${targetRepo(repo)}:${tag} is ${found?.digest ?? 'missing'}, expected ${image.digest}`);
  }
  return {
    seconds,
    blobBytes: sumOf(summary, 'bodyBytes', /^(POST|PATCH|PUT) uploads /),
    manifestBytes: sumOf(summary, 'bodyBytes', /^PUT manifests /),
    requests: sumOf(summary, 'requests', /./),
    mounts: sumOf(summary, 'requests', /^POST uploads 201$/),
  };
}
