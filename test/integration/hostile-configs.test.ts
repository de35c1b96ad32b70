/**
 * Hostile configs through the CLI (issue #9): each one is refused with exit 2 and a message
 * naming the file, the line, the path and what was expected; credentials in it are never
 * printed; and nothing is touched: the registries behind counting proxies see no request, and
 * the state and audit files of an earlier successful sync stay byte for byte the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { rawTags } from '../helpers/raw-registry';
import { registryLogin, testEnv, uniqueRepo } from '../servers/test-env';

const PASSWORD_VAR = 'HOSTILE_TARGET_PASSWORD';
/** A credential typed into hostile configs: it must never come back in any output. */
const TYPED_SECRET = 'Typed-S3cret-9c1e';
let upstream: FaultProxy;
let targetProxy: FaultProxy;
let dir: string;
let configFile: string;
let good: string;
const repo = uniqueRepo('hostile');
const targetRepo = uniqueRepo('hostile-base');
const target = () => registryLogin('basic');
const stateFiles = () => ['state.json', 'audit.jsonl', 'state.json.lock'].map((f) => path.join(dir, '.basegate', f));
const snapshot = () => stateFiles().map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '(absent)'));

beforeAll(async () => {
  upstream = await startFaultProxy({ upstream: `http://${testEnv().registries.anonymous.host}` });
  targetProxy = await startFaultProxy({ upstream: `http://${target().host}` });
  await pushImage({ host: testEnv().registries.anonymous.host }, repo, ['1.0'], synthImage({ seed: repo, platforms: ['linux/amd64'], layers: 1 }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-hostile-'));
  configFile = path.join(dir, 'basegate.yaml');
  process.env[PASSWORD_VAR] = target().password;
  good = [
    'registries:',
    `  "${targetProxy.host}": { username: ${target().username}, password: "\${${PASSWORD_VAR}}" }`,
    'target:',
    `  registry: "${targetProxy.host}"`,
    'images:',
    `  - source: ${upstream.host}/${repo}`,
    '    tags: ["1.0"]',
    `    repository: ${targetRepo}`,
    '',
  ].join('\n');
  fs.writeFileSync(configFile, good);
  const first = await runCli('sync', '--config', configFile);
  expect(first.code).toBe(0);
});

afterAll(async () => {
  await Promise.all([upstream.stop(), targetProxy.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
  delete process.env[PASSWORD_VAR];
});

/** The good config with one line replaced (or a whole text). */
const edit = (from: string, to: string) => () => {
  expect(good).toContain(from);
  return good.replace(from, to);
};
const image = (lines: string) => () => `${good.slice(0, good.indexOf('images:'))}images:\n${lines}\n`;

const CASES: Array<[string, () => string, RegExp[]]> = [
  ['malformed YAML (an unclosed flow list)', edit('tags: ["1.0"]', 'tags: ["1.0"'), [/basegate\.yaml:\d+:\d+: expected valid YAML/]],
  ['malformed YAML (tab indentation)', edit('    tags:', '\ttags:'), [/basegate\.yaml:7:\d+: expected valid YAML, found TAB_AS_INDENT/]],
  ['malformed YAML (a duplicate key)', edit('    tags: ["1.0"]', '    tags: ["1.0"]\n    tags: ["2.0"]'), [/expected valid YAML, found DUPLICATE_KEY/]],
  ['YAML alias bomb (billion laughs)', () => `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n${good}`, [/expected YAML without excessive aliases/]],
  ['an empty document', () => '', [/\(document\): expected a mapping with target: and images:, found an empty document/]],
  ['wrong type: tags is a number', edit('tags: ["1.0"]', 'tags: 5'), [/basegate\.yaml:7:11: images\[0\]\.tags: expected a list, found 5/]],
  ['wrong type: images is a mapping', image(`  source: ${'x'}`), [/images: expected a list, found a mapping/]],
  ['wrong type: a password that is a number (not shown)', edit(`password: "\${${PASSWORD_VAR}}"`, 'password: 73310'), [/password: expected a string, found a number \(not shown: it is a credential\)/]],
  ['an unknown key, with the closest known one', edit('    tags:', '    tagz:'), [/images\[0\]\.tagz: unknown key "tagz", did you mean "tags"\?/]],
  ['an unknown top-level key', edit('images:', 'imagse:'), [/unknown key "imagse", did you mean "images"\?/]],
  ['a regex too large for RE2', edit('tags: ["1.0"]', 'tagPolicy: { allow: ["^(a{0,100}){0,100}$"] }'), [/images\[0\]\.tagPolicy\.allow\[0\]: expected a regular expression \(RE2 syntax\), found "\^\(a\{0,100\}\)\{0,100\}\$": .*invalid repeat count/]],
  ['a regex with a lookbehind', edit('tags: ["1.0"]', 'tagPolicy: { allow: ["(?<=v)\\\\d+"] }'), [/allow\[0\]: expected a regular expression \(RE2 syntax\).*lookarounds are not supported/]],
  ['a regex with a backreference', edit('tags: ["1.0"]', 'immutableTags: ["(a)\\\\1"]\n    tags: ["1.0"]'), [/immutableTags\[0\]: expected a regular expression \(RE2 syntax\).*backreferences are not supported/]],
  ['path traversal in the source', () => good.replace(`source: ${upstream.host}/${repo}`, `source: ${upstream.host}/../../etc/passwd`), [/images\[0\]\.source: .*path traversal/]],
  ['path traversal in the target repository', edit(`repository: ${targetRepo}`, 'repository: base/../../etc'), [/images\[0\]\.repository: expected a repository path .* path traversal/]],
  ['path traversal in the target repository (leading)', edit(`repository: ${targetRepo}`, 'repository: ../escape'), [/path traversal/]],
  ['credentials in the source reference', edit('source: ', `source: bob:${TYPED_SECRET}@`), [/images\[0\]\.source: expected a reference without credentials/]],
  ['credentials in a source URL', edit('source: ', `source: https://bob:${TYPED_SECRET}@`), [/images\[0\]\.source: expected a reference without credentials/]],
  ['credentials in the target registry', () => good.replace(`  registry: "${targetProxy.host}"`, `  registry: "bob:${TYPED_SECRET}@${targetProxy.host}"`), [/target\.registry: expected a registry host\[:port\].*found "\*\*\*@/]],
  ['credentials in a registries key', edit('registries:\n', `registries:\n  "bob:${TYPED_SECRET}@example.io": {}\n`), [/registries\["\*\*\*@example\.io"\]: expected a registry host/]],
  ['credentials in a webhook URL', edit(`    repository: ${targetRepo}`, `    repository: ${targetRepo}\n    dependents:\n      - webhook: { url: "https://bob:${TYPED_SECRET}@hooks.example.io/x" }`), [/webhook\.url: expected a URL without credentials/]],
];
describe('hostile configs: exit 2, a clear error, nothing touched', () => {
  it.each(CASES)('%s', async (_name, text, messages) => {
    fs.writeFileSync(configFile, text());
    const before = snapshot();
    const tagsBefore = await rawTags(target(), targetRepo);
    upstream.clearLog();
    targetProxy.clearLog();
    const started = Date.now();
    for (const command of ['sync', 'check'] as const) {
      const run = await runCli(command, '--config', configFile, '--json');
      expect({ command, code: run.code, stdout: run.stdout }).toEqual({ command, code: 2, stdout: '' });
      expect(run.stderr).toMatch(/^basegate: /);
      for (const m of messages) expect(run.stderr).toMatch(m);
      for (const secret of [TYPED_SECRET, target().password]) expect(run.stderr.includes(secret) ? `leaked ${secret}` : 'no leak').toBe('no leak');
    }
    expect(Date.now() - started).toBeLessThan(5_000); // a hostile regex or alias bomb is refused, not evaluated
    expect(upstream.log.length + targetProxy.log.length).toBe(0);
    expect(snapshot()).toEqual(before);
    expect(await rawTags(target(), targetRepo)).toEqual(tagsBefore);
  });

  it('the state is still good: the original config syncs as unchanged', async () => {
    fs.writeFileSync(configFile, good);
    const run = await runCli('sync', '--config', configFile, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).totals).toMatchObject({ unchanged: 1 });
  });
});
