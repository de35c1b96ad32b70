/** Jest global teardown: stops every server the global setup started; no process is left behind. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV_FILE_VARIABLE } from './test-env';

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__basegateServers ?? []).map((s) => s.stop()));
  globalThis.__basegateServers = undefined;
  const file = process.env[ENV_FILE_VARIABLE];
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
