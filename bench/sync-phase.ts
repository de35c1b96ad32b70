/**
 * One measured step of the sync benchmark: run one contender into its own target (behind its
 * own counting proxy), time it, count what it uploaded, and check that every tag in the target
 * now points at the upstream digest (a fast wrong copy would be worth nothing).
 */
import { rawGetManifest } from '../test/helpers/raw-registry';
import { timed } from './bench-run';
import { cpuDuring } from './process-cpu';
import type { Usage } from './process-usage';
import { sumOf, type ProxyProcess } from './proxy-process';
import type { Tagged } from './sync-seed';

export interface PhaseSample {
  seconds: number;
  /** CPU seconds (user + system) of the contender's processes, summed; undefined without GNU time. */
  cpu?: number;
  /** Peak RSS of the contender's largest process, bytes. */
  peakRss?: number;
  /** Request body bytes sent to blob upload endpoints (POST/PATCH/PUT …/blobs/uploads/). */
  blobBytes: number;
  /** Request body bytes of manifest PUTs. */
  manifestBytes: number;
  /** Requests to the target, all kinds. */
  requests: number;
  /** CPU seconds the upstream and target registries used during the run (undefined without /proc). */
  registryCpu?: number;
  /** CPU seconds the counting proxy used during the run. */
  proxyCpu?: number;
}

export interface Target {
  /** The registry itself, for checking (`127.0.0.1:PORT`). */
  registry: string;
  /** The registry's process, for its CPU time. */
  registryPid: number;
  proxy: ProxyProcess;
}

/** Times `run` against `target` (reading from the upstream registry process `upstreamPid`) and checks the result. */
export async function measurePhase(target: Target, upstreamPid: number, expected: Tagged[], targetRepo: (sourceRepo: string) => string, run: () => Promise<Usage>): Promise<PhaseSample> {
  await target.proxy.clear();
  const { value: { seconds, value: usage }, cpu } = await cpuDuring({ upstream: upstreamPid, target: target.registryPid, proxy: target.proxy.pid }, () => timed(run));
  const summary = await target.proxy.summary();
  for (const { repo, tag, image } of expected) {
    const found = await rawGetManifest({ host: target.registry }, targetRepo(repo), tag);
    if (found?.digest !== image.digest) throw new Error(`after the run, ${target.registry}/${targetRepo(repo)}:${tag} is ${found?.digest ?? 'missing'}, expected ${image.digest}`);
  }
  return {
    seconds,
    cpu: usage.cpu,
    peakRss: usage.peakRss,
    blobBytes: sumOf(summary, 'bodyBytes', /^(POST|PATCH|PUT) uploads /),
    manifestBytes: sumOf(summary, 'bodyBytes', /^PUT manifests /),
    requests: sumOf(summary, 'requests', /./),
    registryCpu: cpu.upstream === undefined || cpu.target === undefined ? undefined : cpu.upstream + cpu.target,
    proxyCpu: cpu.proxy,
  };
}
