/** `basegate check --config FILE [--json]`: detect only; writes nothing anywhere, state included. */
import { mapLimit } from '../../map-limit';
import { detectImage } from '../../pipeline/detect';
import { parseCommand, requireConfig } from '../args';
import { composeCli } from '../compose';
import { EXIT } from '../exit-codes';
import { formatChecks, type Output } from '../output';
import { cacheNoticeLines, cacheSummary } from '../cache-notices';

export async function runCheck(argv: string[], out: Output): Promise<number> {
  const { values } = parseCommand('check', argv, {});
  const runtime = await composeCli({ configFile: requireConfig('check', values), stateFile: values.state, readOnly: true });
  try {
    const checks = (await mapLimit(runtime.images, 8, (image) => detectImage(image, runtime.deps))).flat();
    const failed = checks.filter((c) => c.status === 'failed').length;
    const upstreamCache = cacheSummary(runtime.config);
    if (values.json) out.json({ tags: checks.map((c) => ({ ...c, source: c.source.toString() })), failed, ...(upstreamCache ? { upstreamCache } : {}) });
    else {
      out.result(formatChecks(checks));
      for (const line of cacheNoticeLines(runtime.config)) out.progress(line);
      out.progress(`${checks.length} tags checked, ${checks.filter((c) => c.status === 'new' || c.status === 'changed').length} moved, ${failed} failed`);
    }
    return failed > 0 ? EXIT.FAILED : EXIT.OK;
  } finally {
    await runtime.close();
  }
}
