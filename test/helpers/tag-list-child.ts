/**
 * A child process for the tag-listing memory test (run with test/helpers/ts-register.cjs):
 *   tag-list-child.ts HOST [MAX_TAGS]
 * lists `HOST/big`'s tags with the registry client and prints one JSON line: the error's code
 * and message or the tag count, the RSS before listing and the process's peak RSS (KiB).
 */
import { parseReference } from '../../functions/oci/reference';
import { RemoteRegistry } from '../../functions/oci/registry/remote-registry';

async function main(): Promise<void> {
  const [host, maxTags] = process.argv.slice(2);
  const registry = new RemoteRegistry({ hosts: { [host]: maxTags ? { maxTags: Number(maxTags) } : {} }, retry: { maxAttempts: 1 } });
  global.gc?.();
  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  let result: Record<string, unknown>;
  try {
    result = { count: (await registry.tagList(parseReference(`${host}/big`))).length };
  } catch (err) {
    result = { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  await registry.close();
  process.stdout.write(JSON.stringify({ ...result, rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS }));
}

void main();
