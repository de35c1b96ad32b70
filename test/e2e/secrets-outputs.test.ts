/**
 * Secrets never leave (issue #9): credentials are planted (a registry password on a Basic-auth
 * registry of this test's own, the shared token registry's password, a webhook secret, a token
 * in a webhook header), basegate runs through the paths that show things (check, sync, status,
 * approve, with and without --json, in process and as a real child process, succeeding and
 * failing: wrong passwords, registries and receivers whose error bodies echo what they were
 * sent), and every output is grepped for every planted secret: stdout, stderr, error messages,
 * the state file and the audit log.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliResult } from '../helpers/cli-run';
import { runCliChild } from '../helpers/cli-child';
import { targetRegistry } from '../helpers/cli-workspace';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { pushImage, synthImage } from '../helpers/image-synth';
import { startRegistry, type RegistryServer } from '../servers/registry-server';
import { uniqueRepo } from '../servers/test-env';
import { startScriptedServer, type ScriptedServer } from '../servers/scripted-http-server';

const nonce = Math.random().toString(36).slice(2, 10);
const S = {
  targetPassword: `tgt-pw-${nonce}`,
  hookSecret: `hook-secret-${nonce}`,
  hookToken: `hook-token-${nonce}`,
};
const outputs: Array<{ what: string; text: string }> = [];
let target: RegistryServer;
let sourceProxy: FaultProxy;
let targetProxy: FaultProxy;
let hooks: ScriptedServer;
let dir: string;
const repo = uniqueRepo('secrets');
/** The shared token-auth registry, the source here. */
const token = targetRegistry;

/** Every planted secret, and the forms they travel in (Basic credentials are base64). */
function planted(): string[] {
  const { username: user, password } = token();
  const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');
  return [S.targetPassword, S.hookSecret, S.hookToken, password, basic('basegate', S.targetPassword), basic(user, password)];
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return { SECRETS_TARGET_PW: S.targetPassword, SECRETS_SOURCE_PW: token().password, SECRETS_HOOK_SECRET: S.hookSecret, SECRETS_HOOK_TOKEN: S.hookToken, ...overrides };
}

async function cli(what: string, vars: Record<string, string>, ...argv: string[]): Promise<CliResult> {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  try {
    const run = await runCli(...argv);
    outputs.push({ what: `${what} stdout`, text: run.stdout }, { what: `${what} stderr`, text: run.stderr });
    return run;
  } finally {
    for (const k of Object.keys(vars)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** The real CLI in a child process: catches anything printed outside the Output interface (warnings, stray logs). */
async function child(what: string, vars: Record<string, string>, ...argv: string[]): Promise<number> {
  const run = await runCliChild(argv, vars);
  outputs.push({ what: `${what} stdout`, text: run.stdout }, { what: `${what} stderr`, text: run.stderr });
  return run.code;
}

function writeConfig(name: string, hookPath = '/hook'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    [
      'registries:',
      `  "${sourceProxy.host}": { username: ${token().username}, password: "\${SECRETS_SOURCE_PW}" }`,
      `  "${targetProxy.host}": { username: basegate, password: "\${SECRETS_TARGET_PW}" }`,
      'target:',
      `  registry: "${targetProxy.host}"`,
      'images:',
      `  - source: ${sourceProxy.host}/${repo}`,
      '    tags: ["1.0"]',
      `    repository: ${repo}-base`,
      '    dependents:',
      '      - name: app',
      '        webhook:',
      `          url: "${hooks.url}${hookPath}"`,
      '          secret: "${SECRETS_HOOK_SECRET}"',
      '          headers: { Authorization: "Bearer ${SECRETS_HOOK_TOKEN}", X-Api-Key: "${SECRETS_HOOK_TOKEN}" }',
      '',
    ].join('\n'),
  );
  return file;
}

/** A receiver step that answers `status` with a body echoing every header it got (a careless receiver). */
function echoingHook(status: number): void {
  hooks.expect({ label: `webhook answering ${status}`, handle: (req) => ({ reply: { status, body: { error: 'nope', youSent: req.headers } } }) });
}

beforeAll(async () => {
  target = await startRegistry({ auth: 'basic', users: { basegate: S.targetPassword } });
  [sourceProxy, targetProxy, hooks] = await Promise.all([
    startFaultProxy({ upstream: `http://${token().host}` }),
    startFaultProxy({ upstream: `http://${target.host}` }),
    startScriptedServer({ name: 'echoing receiver' }),
  ]);
  await pushImage(token(), repo, ['1.0'], synthImage({ seed: repo, platforms: ['linux/amd64'], layers: 1 }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-secrets-'));
});

afterAll(async () => {
  await Promise.all([sourceProxy?.stop(), targetProxy?.stop(), hooks?.close()]);
  await target?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('planted secrets never appear in any output', () => {
  it('failing runs: registries whose error bodies echo the Authorization they got, a wrong target password', async () => {
    const config = writeConfig('failing.yaml');
    // Error bodies that echo the request's headers (Authorization included), as a careless registry or proxy might.
    const echo = (status?: number): FaultRule => ({
      name: 'echo',
      transform: (answer, request) => {
        if (status === undefined && answer.status < 400) return {};
        const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `you sent ${request.headers.authorization}`, detail: request.headers }] });
        return { status: status ?? answer.status, body: Buffer.from(body), headers: { ...answer.headers, 'content-type': 'application/json' } };
      },
    });
    sourceProxy.setRules([{ ...echo(400), method: 'GET', path: /\/blobs\// }]);
    const upstreamFails = await cli('sync, upstream (token auth) blob GETs answered 400 with an echo', env(), 'sync', '--config', config, '--json');
    expect(JSON.parse(upstreamFails.stdout).tags[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('answered 400 (UNKNOWN: you sent Bearer ***)') });
    sourceProxy.setRules([]);
    targetProxy.setRules([{ ...echo(400), method: 'POST', path: /\/blobs\/uploads\/$/ }]);
    const targetFails = await cli('sync, target (Basic auth) uploads answered 400 with an echo', env(), 'sync', '--config', config, '--json');
    expect(JSON.parse(targetFails.stdout).tags[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('you sent Basic ***') });
    targetProxy.setRules([echo()]);
    const wrong = await cli('sync with a wrong target password, 401 echoed', env({ SECRETS_TARGET_PW: `${S.targetPassword}-wrong` }), 'sync', '--config', config, '--json');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).tags[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('401') });
    targetProxy.setRules([]);
  });

  it('a run whose dependent answers 500 and 401 with bodies echoing the signature and the token, then a good run', async () => {
    const config = writeConfig('good.yaml');
    for (let i = 0; i < 3; i++) echoingHook(500);
    const first = await cli('sync (receiver 500)', env(), 'sync', '--config', config, '--json');
    expect(JSON.parse(first.stdout).tags[0]).toMatchObject({ status: 'promoted', rebuilds: [expect.objectContaining({ status: expect.stringMatching(/retry|failed/) })] });
    echoingHook(401);
    await cli('sync (receiver 401)', env(), 'sync', '--config', config);
    await cli('status --json', env(), 'status', '--config', config, '--json');
    await cli('status', env(), 'status', '--config', config);
    await cli('check --json', env(), 'check', '--config', config, '--json');
    await cli('check', env(), 'check', '--config', config);
    expect(hooks.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of hooks.requests) expect(r.headers.authorization).toBe(`Bearer ${S.hookToken}`); // the token really travelled
    hooks.assertDone();
  });

  it('a real child process, printing everything it prints', async () => {
    const config = writeConfig('child.yaml');
    sourceProxy.setRules([{ name: 'flaky', method: 'HEAD', path: /\/manifests\//, nth: 1, respond: { status: 503, body: '{}' } }]);
    const code = await child('child sync --json', env({ SECRETS_TARGET_PW: 'not-it' }), 'sync', '--config', config, '--json');
    expect(code).toBe(1);
    expect(await child('child check', env(), 'check', '--config', config)).toBe(0);
    sourceProxy.setRules([]);
  });

  it('a config error that involves a secret-carrying variable', async () => {
    const config = writeConfig('bad.yaml');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('password: "${SECRETS_TARGET_PW}" }', 'password: "${SECRETS_TARGET_PW}", insecure: "${SECRETS_TARGET_PW}" }'));
    const run = await cli('config error', env(), 'sync', '--config', config);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('${SECRETS_TARGET_PW}');
  });

  it('grep: no planted secret in stdout, stderr, the state files or the audit logs', () => {
    const files = fs.readdirSync(path.join(dir, '.basegate')).map((f) => path.join(dir, '.basegate', f));
    expect(files.some((f) => f.endsWith('audit.jsonl'))).toBe(true);
    const everything = [...outputs, ...files.map((f) => ({ what: path.basename(f), text: fs.readFileSync(f, 'utf8') }))];
    expect(everything.filter((o) => o.text.length > 0).length).toBeGreaterThan(10);
    const leaks = everything.flatMap((o) => planted().filter((s) => o.text.includes(s)).map((s) => `${o.what}: ${s.slice(0, 12)}…`));
    // Credentials this test cannot know (the bearer tokens the token issuer handed out) are caught by their shape.
    for (const o of everything) for (const m of o.text.match(/\b(Basic|Bearer)\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}|\beyJ[A-Za-z0-9_-]{8,}\./g) ?? []) leaks.push(`${o.what}: ${m.slice(0, 16)}…`);
    expect(leaks).toEqual([]);
  });
});
