/**
 * Issues #3 and #5 through the CLI: a bad basegate.yaml is refused before anything is touched.
 * Each kind of mistake gives exit 2 and an error on stderr naming the file, line, the path in the
 * document and what was expected; the upstream and target registries (both behind one counting
 * proxy) see no request, and an existing state and audit are left byte for byte as they were.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { runCli } from '../helpers/cli-run';
import { upstreamRegistry } from '../helpers/cli-workspace';
import { uniqueRepo } from '../servers/test-env';

const ACR = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contosoapps';

let proxy: FaultProxy;
let repo: string;
/** A state directory written by a real sync, copied into each test's directory. */
let template: string;
let dir: string;

/** A config with one image entry (`lines`, under `- `) and optional top-level text before `target:`. */
function config(lines: string, top = '', bottom = ''): string {
  const entry = lines
    .trim()
    .split('\n')
    .map((l, i) => `${i === 0 ? '  - ' : '    '}${l}`)
    .join('\n');
  return `${top}target:\n  registry: "${proxy.host}"\nimages:\n${entry}\n${bottom}`;
}
const source = () => `source: ${proxy.host}/${repo}`;

beforeAll(async () => {
  proxy = await startFaultProxy({ upstream: `http://${upstreamRegistry().host}` });
  repo = uniqueRepo('cfg');
  await pushImage(upstreamRegistry(), repo, ['v1'], synthImage({ seed: repo }));
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-cfg-template-'));
  const file = path.join(template, 'basegate.yaml');
  fs.writeFileSync(file, config(`${source()}\ntags: [v1]\nrepository: ${uniqueRepo('base')}`));
  const first = await runCli('sync', '--config', file);
  if (first.code !== 0) throw new Error(`the template sync failed: ${first.stderr}`);
});
afterAll(async () => {
  await proxy?.stop();
  fs.rmSync(template, { recursive: true, force: true });
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-cfg-'));
  fs.cpSync(path.join(template, '.basegate'), path.join(dir, '.basegate'), { recursive: true });
  proxy.clearLog();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The bytes of every file of the state directory. */
function stateSnapshot(): Record<string, string> {
  const state = path.join(dir, '.basegate');
  return Object.fromEntries(fs.readdirSync(state).map((f) => [f, fs.readFileSync(path.join(state, f), 'base64')]));
}

// [kind, config text, env, path named, line, pieces the message must contain]
type Row = [string, () => string, Record<string, string>, string, number | undefined, string[]];
const rows: Row[] = [
  ['unknown field', () => config(`${source()}\ntag: [v1]`), {}, 'images[0].tag', 5, ['unknown key "tag"', 'did you mean "tags"?']],
  ['unknown top-level field', () => config(`${source()}\ntags: [v1]`, 'registry:\n  insecure: true\n'), {}, 'registry', 1, ['unknown key "registry"', 'expected one of: registries, target, images, defaults']],
  ['bad regex', () => config(`${source()}\ntagPolicy: { allow: ["(["] }`), {}, 'images[0].tagPolicy.allow[0]', 5, ['expected a regular expression', 'found "(["']],
  ['regex RE2 cannot run (lookahead)', () => config(`${source()}\ntags: [v1]\nimmutableTags: ["^(?!rc)v\\\\d+$"]`), {}, 'images[0].immutableTags[0]', 6, ['RE2 syntax', 'lookarounds are not supported']],
  ['bad semver range', () => config(`${source()}\ntagPolicy: { semver: ">=banana" }`), {}, 'images[0].tagPolicy.semver', 5, ['expected a semver range', 'found ">=banana"']],
  ['bad reference', () => config('source: docker.io/library/No_de\ntags: [v1]'), {}, 'images[0].source', 4, ['expected an image repository', 'must be lowercase']],
  ['reference with a tag', () => config(`${source()}:v1\ntags: [v1]`), {}, 'images[0].source', 4, ['expected a repository without tag or digest']],
  ['missing environment variable', () => config(`${source()}\ntags: [v1]`, 'registries:\n  ghcr.io:\n    username: me\n    password: ${GHCR_TOKEN_UNSET}\n'), {}, 'registries["ghcr.io"].password', 4, ['environment variable GHCR_TOKEN_UNSET is not set']],
  ['duplicate image entries', () => config(`${source()}\ntags: [v1]`, '', `  - ${source()}\n    tags: [v2]\n`), {}, 'images[1]', 6, ['duplicate of images[0]']],
  ['both tags and tagPolicy', () => config(`${source()}\ntags: [v1]\ntagPolicy: { latest: 2 }`), {}, 'images[0]', 4, ['expected exactly one of tags or tagPolicy, found both']],
  ['bad platform', () => config(`${source()}\ntags: [v1]\nplatforms: [amd64]`), {}, 'images[0].platforms[0]', 6, ['expected a platform os/arch[/variant]', 'found "amd64"']],
  ['duplicate tag', () => config(`${source()}\ntags: [v1, v2, v1]`), {}, 'images[0].tags[2]', 5, ['expected each tag once']],
  ['wrong type', () => config(`${source()}\ntags: v1`), {}, 'images[0].tags', 5, ['expected a list', 'found "v1"']],
  ['target with registry and layout', () => `target: { registry: "${proxy.host}", layout: ./mirror }\nimages: [{ ${source()}, tags: [v1] }]\n`, {}, 'target', 1, ['expected exactly one of registry or layout, found both']],
  ['malformed YAML', () => config(`${source()}\ntags: [v1`), {}, '', 6, ['expected valid YAML']],
  ['unknown gate', () => config(`${source()}\ntags: [v1]\ngates: { cooldwn: 24h }`), {}, 'images[0].gates.cooldwn', 6, ['unknown key "cooldwn"', 'did you mean "cooldown"?']],
  ['unknown gate in defaults', () => config(`${source()}\ntags: [v1]`, '', 'defaults:\n  gates: { scan: true }\n'), {}, 'defaults.gates.scan', 7, ['unknown key "scan"']],
  ['bad duration', () => config(`${source()}\ntags: [v1]\ngates: { cooldown: 24x }`), {}, 'images[0].gates.cooldown', 6, ['expected a duration', 'found "24x"']],
  ['bad size', () => config(`${source()}\ntags: [v1]\ngates: { maxSize: 500XB }`), {}, 'images[0].gates.maxSize', 6, ['expected a size', 'found "500XB"']],
  ['bad label regex', () => config(`${source()}\ntags: [v1]\ngates: { labels: { a: "([" } }`), {}, 'images[0].gates.labels.a', 6, ['expected a regular expression']],
  ['command gate: bad env name', () => config(`${source()}\ntags: [v1]\ngates: { command: { run: ["true"], env: ["NOT-A-NAME"] } }`), {}, 'images[0].gates.command.env[0]', 6, ['expected an environment variable name', 'found "NOT-A-NAME"']],
  ['command gate: $PLATFORM without perPlatform', () => config(`${source()}\ntags: [v1]\ngates: { command: { run: ["scan", "$PLATFORM"] } }`), {}, 'images[0].gates.command.run', undefined, ['$PLATFORM is set only with perPlatform: true']],
  ['acrTask gate, which the CLI cannot run', () => config(`${source()}\ntags: [v1]\ngates: { acrTask: { registry: ${ACR}, task: validate } }`), {}, 'images[0].gates.acrTask', undefined, ['acrTask gate needs Azure']],
  ['acrTask dependent, which the CLI cannot trigger', () => config(`${source()}\ntags: [v1]\ndependents:\n  - acrTask: { registry: ${ACR}, task: build-app }`), {}, 'images[0].dependents', undefined, ['acrTask needs Azure']],
  ['webhook to plain http on a remote host', () => config(`${source()}\ntags: [v1]\ndependents:\n  - webhook: { url: "http://ci.example.com/hook" }`), {}, 'images[0].dependents[0].webhook.url', 7, ['expected an https:// URL']],
  ['webhook header basegate sets itself', () => config(`${source()}\ntags: [v1]\ndependents:\n  - webhook: { url: "https://ci.example.com/hook", headers: { X-Basegate-Signature: forged } }`), {}, 'images[0].dependents', undefined, ['is set by basegate and cannot be configured']],
];

describe('basegate sync refuses a bad basegate.yaml with exit 2, touching nothing', () => {
  it.each(rows)('%s', async (_kind, text, env, at, line, pieces) => {
    const file = path.join(dir, 'basegate.yaml');
    fs.writeFileSync(file, text());
    Object.assign(process.env, env);
    const before = stateSnapshot();
    const result = await runCli('sync', '--config', file, '--json');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const headline = result.stderr.split('\n')[0];
    expect(headline.startsWith(`basegate: ${file}${line === undefined ? ': ' : `:${line}:`}`)).toBe(true);
    if (at) expect(headline).toContain(`: ${at}: `);
    for (const piece of pieces) expect(result.stderr).toContain(piece);
    expect(proxy.log).toEqual([]);
    expect(stateSnapshot()).toEqual(before);
  });
});

describe('the other commands refuse a bad config the same way', () => {
  it.each([['check'], ['status'], ['sync', '--dry-run'], ['watch', '--interval', '1m'], ['approve', `x:v1@sha256:${'0'.repeat(64)}`], ['rollback', 'x:v1', '--to', 'v1-000000000000']])('%s', async (...args) => {
    const file = path.join(dir, 'basegate.yaml');
    fs.writeFileSync(file, config(`${source()}\ntags: [v1]\ngates: { cooldown: 24x }`));
    const before = stateSnapshot();
    const [command, ...rest] = args;
    const result = await runCli(command, '--config', file, ...rest);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:6:24: images[0].gates.cooldown: expected a duration`);
    // Said once (watch does not also log it as a failed sync).
    expect(result.stderr.split('expected a duration').length).toBe(2);
    expect(proxy.log).toEqual([]);
    expect(stateSnapshot()).toEqual(before);
  });

  it('a missing config file is exit 2 naming it', async () => {
    const result = await runCli('sync', '--config', path.join(dir, 'nope.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path.join(dir, 'nope.yaml')}: expected a config file, found none`);
  });
});
