/**
 * A scan by a command: the `command` gate's runner (same argv or `/bin/sh -c` forms, placeholders
 * `$IMAGE`, `$PLATFORM(S)`, `$BASEGATE_TAG`, allow-listed environment, timeout, process group),
 * whose stdout is the report. One run per platform with `perPlatform`, one run otherwise.
 * A scanner may exit non-zero because it found something (`trivy --exit-code 1`): its report is
 * still read. A run that timed out, could not start, died by a signal, or printed no readable
 * report is an error, so the gate stays pending (issue #5: an error never approves).
 */
import type { ImageRef } from '../../oci/reference';
import { ContentRejectedError } from '../../errors';
import { runCommand, type ResolvedCommandGateOptions } from '../command';
import { parseReport, type Finding, type ReportFormat } from './parse-report';

/** Largest report read from stdout: a Trivy report of a large image is a few MiB. */
const MAX_REPORT_BYTES = 32 * 1024 * 1024;

/** What one image's scan gave: its findings, or why it failed (pending). */
export type ScanResult = { format: ReportFormat; findings: Finding[]; runs: ScanRun[] } | { error: string; runs: ScanRun[] };

export interface ScanRun {
  platform?: string;
  exitCode: number | null;
  durationMs: number;
}

/** Scans `image` (pinned) on `platforms` with the resolved scanner command. */
export async function scanWithCommand(scanner: ResolvedCommandGateOptions & { format?: ReportFormat }, image: ImageRef, platforms: readonly string[], tag: string, signal?: AbortSignal): Promise<ScanResult> {
  const own = { IMAGE: image.pinned().toString(), BASEGATE_TAG: tag };
  const jobs = scanner.perPlatform ? platforms.map((p) => ({ platform: p, vars: { ...own, PLATFORM: p } })) : [{ platform: undefined, vars: { ...own, PLATFORMS: platforms.join(',') } }];
  const findings: Finding[] = [];
  const runs: ScanRun[] = [];
  let format: ReportFormat | undefined;
  const program = scanner.shell ? 'sh -c' : scanner.argv[0];
  // One at a time, as the command gate: scanners are heavy and the machine is shared.
  for (const job of jobs) {
    const run = await runCommand(scanner, job.vars, signal, { stdoutBytes: MAX_REPORT_BYTES });
    runs.push({ platform: job.platform, exitCode: run.exitCode, durationMs: run.durationMs });
    const on = job.platform ? ` on ${job.platform}` : '';
    if (run.spawnError) return { error: `${program} could not be started${on}: ${run.spawnError}`, runs };
    if (run.timedOut || run.aborted) return { error: `${program} ${run.timedOut ? 'timed out' : 'was stopped'}${on}, will retry`, runs };
    if (run.exitCode === null) return { error: `${program} was killed by ${run.signal}${on}, will retry`, runs };
    if (run.stdoutOverflow) return { error: `${program} printed more than ${MAX_REPORT_BYTES} bytes${on}: not a report basegate reads`, runs };
    try {
      const parsed = parseReport(JSON.parse((run.stdout ?? Buffer.alloc(0)).toString('utf8')), scanner.format);
      format ??= parsed.format;
      findings.push(...parsed.findings);
    } catch (err) {
      const why = err instanceof ContentRejectedError ? err.message : `its stdout is not JSON (${(err as Error).message})`;
      return { error: `${program} exited ${run.exitCode}${on} without a readable report: ${why}`, runs };
    }
  }
  return { format: format ?? scanner.format ?? 'trivy', findings, runs };
}
