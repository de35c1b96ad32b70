/** Runs the basegate CLI in process (its `main`) and captures what it prints, split by stream. */
import { main } from '../../functions/cli';
import type { Output } from '../../functions/cli/output';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    result: (text) => (stdout += text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => (stdout += `${JSON.stringify(value, null, 2)}\n`),
    progress: (text) => (stderr += `${text}\n`),
  };
  const code = await main(argv, out);
  return { code, stdout, stderr };
}
