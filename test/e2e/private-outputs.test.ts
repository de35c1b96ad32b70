/**
 * Bounded, clean outputs through `basegate sync` (issue #16):
 * - the state, its audit log and the blob locations are created readable by their owner only
 *   (0600, whatever the umask), and a file that already exists keeps the mode its owner gave it;
 * - a scanner (the `command` gate) that prints the secrets it was given (a registry password
 *   from `${VAR}`, a token set through `env:`, one passed through by name) wrapped in terminal
 *   escape sequences (colours, a window-title OSC, carriage returns, a bidi override) shows
 *   none of them in `basegate status`, human or `--json`, nor in the state or the audit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { cliWorkspace, upstreamRegistry, type CliWorkspace } from '../helpers/cli-workspace';
import { pushImage, synthImage } from '../helpers/image-synth';
import { uniqueRepo } from '../servers/test-env';

const nonce = Math.random().toString(36).slice(2, 10);
const SCAN_TOKEN = `scan-token-${nonce}`;
const PASSED_THROUGH = `passed-through-${nonce}`;
let ws: CliWorkspace;
const passedRepo = uniqueRepo('private-pass');
const scannedRepo = uniqueRepo('private-scan');

beforeAll(async () => {
  await Promise.all([
    pushImage(upstreamRegistry(), passedRepo, ['v1'], synthImage({ seed: passedRepo, layers: 1, layerSize: 512 })),
    pushImage(upstreamRegistry(), scannedRepo, ['v1'], synthImage({ seed: scannedRepo, layers: 1, layerSize: 512 })),
  ]);
});
beforeEach(() => {
  ws = cliWorkspace('basegate-private-');
  process.env.SCAN_TOKEN = SCAN_TOKEN;
  process.env.SCANNER_PASSTHROUGH = PASSED_THROUGH;
});
afterEach(() => {
  delete process.env.SCAN_TOKEN;
  delete process.env.SCANNER_PASSTHROUGH;
  ws.cleanup();
});

/** A scanner printing every secret it has, in colour, under an OSC title, with a carriage return and a bidi override, then failing. */
const SCANNER = [
  "printf '\\033[31mCRITICAL\\033[0m login %s:%s\\n' \"$REGISTRY_USER\" \"$REGISTRY_PASSWORD\"",
  "printf '\\033]0;pwned\\007token=%s\\r%s\\n' \"$SCANNER_TOKEN\" \"$SCANNER_PASSTHROUGH\"",
  "printf 'found \\342\\200\\256%s\\n' \"$SCANNER_TOKEN\"",
  'exit 1',
].join('; ');

function config(): string {
  const shellQuoted = JSON.stringify(SCANNER);
  return ws.writeConfig(
    [
      `  - source: ${upstreamRegistry().host}/${passedRepo}`,
      '    tags: [v1]',
      `    repository: ${uniqueRepo('private-target')}`,
      `  - source: ${upstreamRegistry().host}/${scannedRepo}`,
      '    tags: [v1]',
      `    repository: ${uniqueRepo('private-target')}`,
      '    gates:',
      '      command:',
      `        run: ${shellQuoted.replace(/\$\{/g, '$${')}`,
      '        env: { REGISTRY_USER: basegate, REGISTRY_PASSWORD: "${TARGET_PASSWORD}", SCANNER_TOKEN: "${SCAN_TOKEN}", SCANNER_PASSTHROUGH: "${SCANNER_PASSTHROUGH}" }',
    ].join('\n'),
  );
}

const files = () => {
  const dir = path.dirname(ws.stateFile());
  return { state: ws.stateFile(), audit: path.join(dir, 'audit.jsonl'), blobs: path.join(dir, 'blob-locations.json') };
};
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

it('a sync leaves state.json, audit.jsonl and blob-locations.json at 0600; an existing file keeps its mode', async () => {
  const file = config();
  const first = await runCli('sync', '--config', file, '--json');
  expect(first.code).toBe(0);
  const f = files();
  expect({ state: modeOf(f.state), audit: modeOf(f.audit), blobs: modeOf(f.blobs) }).toEqual({ state: 0o600, audit: 0o600, blobs: 0o600 });
  // The owner widens them on purpose (a group that reads the state): a later sync, which rewrites them, keeps that.
  fs.chmodSync(f.state, 0o640);
  fs.chmodSync(f.audit, 0o640);
  fs.chmodSync(f.blobs, 0o644);
  const again = await runCli('sync', '--config', file, '--json', '--force');
  expect(again.code).toBe(0);
  expect({ state: modeOf(f.state), audit: modeOf(f.audit), blobs: modeOf(f.blobs) }).toEqual({ state: 0o640, audit: 0o640, blobs: 0o644 });
});

it('a scanner printing configured secrets and escape sequences shows neither in status, state or audit', async () => {
  const file = config();
  const sync = await runCli('sync', '--config', file, '--json');
  expect(sync.code).toBe(0);
  const report = JSON.parse(sync.stdout).tags.find((t: { source: string }) => t.source.includes(scannedRepo));
  expect(report.status).toBe('rejected');
  const human = await runCli('status', '--config', file);
  const json = await runCli('status', '--config', file, '--json');
  const f = files();
  const shown = { 'sync --json': sync.stdout, 'sync stderr': sync.stderr, status: human.stdout, 'status --json': json.stdout, state: fs.readFileSync(f.state, 'utf8'), audit: fs.readFileSync(f.audit, 'utf8') };
  const password = process.env.TARGET_PASSWORD!;
  for (const [where, text] of Object.entries(shown)) {
    for (const secret of [password, SCAN_TOKEN, PASSED_THROUGH]) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
    // Raw control bytes never reach a terminal or a file; JSON escapes would show as \u001b.
    expect({ where, control: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]|\\u001b|\\u0007|\\r|\\u202e/.test(text) }).toEqual({ where, control: false });
  }
  // What the scanner said is still there, only clean: the reason quotes its last line.
  const tag = JSON.parse(json.stdout).tags.find((t: { source: string }) => t.source.includes(scannedRepo));
  expect(tag.reason).toBe('command: sh -c exited 1: found ***');
  const output = tag.verdict.gates.find((g: { gate: string }) => g.gate === 'command').detail.output as string;
  // Every value env: gave the program is scrubbed, the user name too: basegate cannot tell which are secret.
  expect(output).toBe('CRITICAL login ***:***\ntoken=***\n***\nfound ***\n');
  expect(human.stdout).toContain('held: command: sh -c exited 1: found ***');
});
