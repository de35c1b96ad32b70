/** basegate.yaml loading: the documented example loads, and every kind of mistake gives its clear error. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../functions/errors';
import { loadConfig, parseConfig } from '../../../functions/config/load-config';
import { configHash, gatesFingerprint } from '../../../functions/config/fingerprint';

const FILE = '/etc/basegate/basegate.yaml';
const ENV = { DOCKERHUB_USERNAME: 'me', DOCKERHUB_TOKEN: 'dckr_pat_s3cr3t', HOOK_SECRET: 'hook-s3cr3t', GITHUB_TOKEN: 'ghp_s3cr3t', AZDO_TOKEN: 'azdo-s3cr3t' };
const ACR = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contosoapps';

/** A minimal valid config with `image` as the only images entry (indented as a list item body). */
function withImage(image: string, extra = ''): string {
  return `target:\n  registry: 127.0.0.1:5001\nimages:\n  - ${image.trim().split('\n').join('\n    ')}\n${extra}`;
}

function parse(text: string, env: Record<string, string> = ENV) {
  return parseConfig(text, { file: FILE, env });
}

function errorOf(text: string, env: Record<string, string> = ENV): ConfigError {
  try {
    parse(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: the documented example', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1].replace(/<app registry resourceId>/g, ACR).replace('<sub>', '00000000-0000-0000-0000-000000000000').replace('<rg>', 'rg');

  it('loads docs/configuration.md as written', () => {
    const config = parse(yaml);
    expect(config.registries['docker.io']).toEqual({ username: 'me', password: 'dckr_pat_s3cr3t', minRemaining: 10 });
    expect(config.target).toMatchObject({ kind: 'registry', registry: '127.0.0.1:5001', immutableTag: '{tag}-{digest12}', acr: { registryName: 'contosobase', resourceGroup: 'rg', lockImmutableTags: true } });
    const [node] = config.images;
    expect(node.id).toBe('docker.io/library/node→base/node');
    expect(node.source.toString()).toBe('docker.io/library/node');
    expect(node.target.toString()).toBe('127.0.0.1:5001/base/node');
    expect(node.tags).toEqual(['20-alpine', '22-alpine']);
    expect(node.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(node.gates).toMatchObject({ maxSize: 500_000_000, cooldown: 86_400_000, maxAge: 90 * 86_400_000, approval: 'manual', command: { timeout: 600_000 } });
    expect(node.gates.labels!['org.opencontainers.image.source'].test('https://github.com/nodejs/docker-node')).toBe(true);
    expect(node.dependents.map((d) => d.id)).toEqual([
      'webhook:https://ci.example.com/hooks/base',
      'acrTask:contosoapps/build-orders-api',
      'githubDispatch:contoso/orders-api:base-image-updated',
      'azurePipelines:contoso/web/42',
      'discover:contosoapps',
    ]);
    expect(node.dependents[0]).toMatchObject({ kind: 'webhook', secret: 'hook-s3cr3t', headers: { 'X-Team': 'web' } });
  });
});

describe('parseConfig: resolution', () => {
  it('defaults the target repository to the source path and the immutable tag template', () => {
    const config = parse(withImage('source: node\ntags: ["20"]'));
    expect(config.images[0].target.toString()).toBe('127.0.0.1:5001/library/node');
    expect(config.images[0].id).toBe('docker.io/library/node→library/node');
    expect(config.target.immutableTag).toBe('{tag}-{digest12}');
  });

  it('resolves a layout target and layout sources relative to the config file', () => {
    const text = 'target:\n  layout: ./mirror\nimages:\n  - source: oci:./upstream//app\n    tags: [v1]\n';
    const config = parse(text);
    expect(config.target).toEqual({ kind: 'layout', dir: '/etc/basegate/mirror', immutableTag: '{tag}-{digest12}' });
    expect(config.images[0].source.registry).toBe('/etc/basegate/upstream');
    expect(config.images[0].target.toString()).toBe('oci:/etc/basegate/mirror//app');
  });

  it('merges defaults.gates under image gates (image wins, false turns one off) and appends dependents', () => {
    const config = parse(
      withImage(
        'source: node\ntags: ["20"]\ngates: { cooldown: 1h, signature: false, maxSize: 1GiB }\ndependents:\n  - webhook: { url: "https://b.example/hook" }',
        'defaults:\n  gates: { cooldown: 24h, signature: true, approval: manual }\n  dependents:\n    - name: all-builds\n      webhook: { url: "http://127.0.0.1:9/hook" }\n',
      ),
    );
    expect(config.images[0].gates).toEqual({ cooldown: 3_600_000, maxSize: 2 ** 30, approval: 'manual' });
    expect(config.images[0].dependents.map((d) => d.id)).toEqual(['all-builds', 'webhook:https://b.example/hook']);
  });

  it('reads the webhooks section, and defaults it when absent (issue #15)', () => {
    expect(parse(withImage('source: node\ntags: [a]')).webhooks).toEqual({ coalesceWindowMs: 60_000, registries: {} });
    const c = parse(withImage('source: node\ntags: [a]', 'webhooks:\n  coalesceWindow: 2m\n  acr: { registries: [Contoso.azurecr.io] }\n'));
    expect(c.webhooks).toEqual({ coalesceWindowMs: 120_000, registries: { acr: ['contoso.azurecr.io'] } });
    expect(errorOf(withImage('source: node\ntags: [a]', 'webhooks:\n  dockerhub: { registries: [docker.io] }\n')).message).toMatch(/webhooks.*dockerhub/);
    expect(errorOf(withImage('source: node\ntags: [a]', 'webhooks:\n  acr: { registries: [] }\n')).message).toMatch(/webhooks\.acr\.registries/);
  });

  it('normalises registry hosts (index.docker.io is docker.io)', () => {
    const config = parse(withImage('source: node\ntags: ["20"]', 'registries:\n  index.docker.io: { minRemaining: 5 }\n'));
    expect(Object.keys(config.registries)).toEqual(['docker.io']);
  });

  it('reads token realms and the tag cap of a registry', () => {
    const config = parse(withImage('source: node\ntags: ["20"]', 'registries:\n  registry.example.com: { tokenRealms: [auth.example.com, "auth.example.com:8443"], maxTags: 250000 }\n'));
    expect(config.registries['registry.example.com']).toEqual({ tokenRealms: ['auth.example.com', 'auth.example.com:8443'], maxTags: 250000 });
  });

  it('keeps $${VAR} literal and interpolates ${VAR}', () => {
    const config = parse(withImage('source: node\ntags: ["20"]\ngates:\n  command: { run: ["echo", "$${IMAGE}", "${WHO}"] }'), { WHO: 'world' });
    expect(config.images[0].gates.command!.run).toEqual(['echo', '${IMAGE}', 'world']);
  });

  it('fingerprints gates stably and changes the fingerprint when a gate changes', () => {
    const a = parse(withImage('source: node\ntags: ["20"]\ngates: { cooldown: 24h, maxSize: 1GB }')).images[0];
    const b = parse(withImage('source: node\ntags: ["20"]\ngates: { maxSize: 1000MB, cooldown: 1d }')).images[0];
    const c = parse(withImage('source: node\ntags: ["20"]\ngates: { maxSize: 1GB, cooldown: 2d }')).images[0];
    const d = parse(withImage('source: node\ntags: ["20"]\nplatforms: [linux/amd64]\ngates: { maxSize: 1GB, cooldown: 1d }')).images[0];
    expect(gatesFingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(gatesFingerprint(b)).toBe(gatesFingerprint(a));
    expect(gatesFingerprint(c)).not.toBe(gatesFingerprint(a));
    expect(gatesFingerprint(d)).not.toBe(gatesFingerprint(a));
  });

  it('hashes the document before interpolation: secrets change nothing, edits do', () => {
    const text = withImage('source: node\ntags: ["20"]', 'registries:\n  docker.io: { username: u, password: "${P}" }\n');
    expect(parse(text, { P: 'one' }).hash).toBe(parse(text, { P: 'two' }).hash);
    expect(parse(text.replace('"20"', '"22"'), { P: 'one' }).hash).not.toBe(parse(text, { P: 'one' }).hash);
    expect(configHash({ b: 1, a: [1, 2] })).toBe(configHash({ a: [1, 2], b: 1 }));
  });

  it('loadConfig reads the file and resolves relative paths against its directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'basegate.yaml'), 'target: { layout: out }\nimages: [{ source: node, tags: ["20"] }]\n');
      const config = await loadConfig(path.join(dir, 'basegate.yaml'), {});
      expect(config.target).toMatchObject({ kind: 'layout', dir: path.join(dir, 'out') });
      await expect(loadConfig(path.join(dir, 'missing.yaml'), {})).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseConfig: errors', () => {
  // [what, config text, env, path named, pieces the message must contain]
  it.each<[string, string, Record<string, string>, string, string[]]>([
    ['malformed YAML', 'target:\n  registry: [127.0.0.1:5001\nimages: []\n', ENV, '', ['expected valid YAML', `${FILE}:3:`]],
    ['a list where a mapping is expected', '- a\n- b\n', ENV, '(document)', ['expected a mapping with target: and images:', 'found a list']],
    ['wrong type (string for a list)', withImage('source: node\ntags: "20"'), ENV, 'images[0].tags', ['expected a list', 'found "20"']],
    ['wrong type (string for a number)', withImage('source: node\ntags: ["20"]', 'registries:\n  docker.io: { minRemaining: ten }\n'), ENV, 'registries["docker.io"].minRemaining', ['expected a number', 'found "ten"']],
    ['missing required key', 'images:\n  - source: node\n    tags: ["20"]\n', ENV, 'target', ['expected a mapping', 'found nothing (missing)']],
    ['unknown key, closest suggested', withImage('source: node\ntag: ["20"]'), ENV, 'images[0].tag', ['unknown key "tag"', 'did you mean "tags"?']],
    ['unknown gate', withImage('source: node\ntags: ["20"]\ngates: { cooldwn: 24h }'), ENV, 'images[0].gates.cooldwn', ['unknown key "cooldwn"', 'did you mean "cooldown"?', 'maxSize']],
    ['bad regex', withImage('source: node\ntagPolicy: { allow: ["(["] }'), ENV, 'images[0].tagPolicy.allow[0]', ['expected a regular expression', 'found "(["']],
    ['regex with a lookahead (RE2 has none)', withImage('source: node\ntagPolicy: { allow: ["^(?!.*rc)\\\\d+$"] }'), ENV, 'images[0].tagPolicy.allow[0]', ['RE2 syntax', 'lookarounds are not supported: use deny']],
    ['regex with a backreference', withImage('source: node\ntags: ["20"]\nimmutableTags: ["^(a)\\\\1$"]'), ENV, 'images[0].immutableTags[0]', ['RE2 syntax', 'backreferences are not supported']],
    ['bad semver range', withImage('source: node\ntagPolicy: { semver: ">=banana" }'), ENV, 'images[0].tagPolicy.semver', ['expected a semver range', 'found ">=banana"']],
    ['bad reference', withImage('source: docker.io/library/No_de\ntags: ["20"]'), ENV, 'images[0].source', ['expected an image repository', 'must be lowercase']],
    ['reference with a tag', withImage('source: node:20\ntags: ["20"]'), ENV, 'images[0].source', ['expected a repository without tag or digest', 'found "node:20"']],
    ['reference with credentials', withImage('source: bob:hunter2@registry.example.com/app\ntags: ["1"]'), ENV, 'images[0].source', ['expected a reference without credentials']],
    ['repository with path traversal', withImage('source: node\ntags: ["20"]\nrepository: base/../../etc'), ENV, 'images[0].repository', ['path traversal']],
    ['missing environment variable', withImage('source: node\ntags: ["20"]', 'registries:\n  docker.io: { username: u, password: "${NOPE}" }\n'), ENV, 'registries["docker.io"].password', ['environment variable NOPE is not set']],
    ['malformed ${...}', withImage('source: node\ntags: ["20"]\nrepository: "${bad name}"'), ENV, 'images[0].repository', ['expected an environment variable name']],
    ['duplicate image entries', withImage('source: node\ntags: ["20"]', '  - source: docker.io/library/node\n    tags: ["22"]\n'), ENV, 'images[1]', ['duplicate of images[0]', 'docker.io/library/node']],
    ['both tags and tagPolicy', withImage('source: node\ntags: ["20"]\ntagPolicy: { latest: 2 }'), ENV, 'images[0]', ['expected exactly one of tags or tagPolicy, found both']],
    ['neither tags nor tagPolicy', withImage('source: node'), ENV, 'images[0]', ['expected exactly one of tags or tagPolicy, found neither']],
    ['a tag policy that selects everything', withImage('source: node\ntagPolicy: { deny: ["rc"] }'), ENV, 'images[0].tagPolicy', ['expected at least one of allow, semver or latest']],
    ['target with registry and layout', 'target: { registry: 127.0.0.1:5001, layout: ./m }\nimages: [{ source: node, tags: ["1"] }]\n', ENV, 'target', ['expected exactly one of registry or layout, found both']],
    ['target with neither', 'target: {}\nimages: [{ source: node, tags: ["1"] }]\n', ENV, 'target', ['found neither']],
    ['target registry with a path', 'target: { registry: r.example.com/base }\nimages: [{ source: node, tags: ["1"] }]\n', ENV, 'target.registry', ['expected a registry host[:port]']],
    ['immutable tag template without digest', 'target: { registry: r.example.com, immutableTag: "{tag}-fixed" }\nimages: [{ source: node, tags: ["1"] }]\n', ENV, 'target.immutableTag', ['{digest12} or {digest}']],
    ['bad duration', withImage('source: node\ntags: ["20"]\ngates: { cooldown: 24x }'), ENV, 'images[0].gates.cooldown', ['expected a duration', 'found "24x"']],
    ['bad size', withImage('source: node\ntags: ["20"]\ngates: { maxSize: 500XB }'), ENV, 'images[0].gates.maxSize', ['expected a size', 'found "500XB"']],
    ['bad dependent: plain http to a remote host', withImage('source: node\ntags: ["20"]\ndependents:\n  - webhook: { url: "http://ci.example.com/hook" }'), ENV, 'images[0].dependents[0].webhook.url', ['expected an https:// URL', 'found http://ci.example.com']],
    ['bad dependent: two kinds in one entry', withImage(`source: node\ntags: ["20"]\ndependents:\n  - webhook: { url: "https://a.example" }\n    discover: { registry: ${ACR} }`), ENV, 'images[0].dependents[0]', ['expected exactly one of webhook', 'found webhook and discover']],
    ['duplicate dependent', withImage('source: node\ntags: ["20"]\ndependents:\n  - webhook: { url: "https://a.example/h" }\n  - webhook: { url: "https://a.example/h" }'), ENV, 'images[0].dependents[1]', ['unique within the image', 'images[0].dependents[0]']],
    ['empty images list', 'target: { registry: 127.0.0.1:5001 }\nimages: []\n', ENV, 'images', ['expected a list of at least 1 item', 'found an empty list']],
    ['bad platform', withImage('source: node\ntags: ["20"]\nplatforms: [amd64]'), ENV, 'images[0].platforms[0]', ['expected a platform os/arch[/variant]', 'found "amd64"']],
    ['duplicate tag', withImage('source: node\ntags: ["20", "22", "20"]'), ENV, 'images[0].tags[2]', ['expected each tag once', 'images[0].tags[0]']],
    ['bad registry host key', withImage('source: node\ntags: ["20"]', 'registries:\n  "not a host": { insecure: true }\n'), ENV, 'registries["not a host"]', ['expected a registry host[:port]']],
    ['username without password', withImage('source: node\ntags: ["20"]', 'registries:\n  ghcr.io: { username: me }\n'), ENV, 'registries["ghcr.io"]', ['username and password']],
    ['token realm as a URL', withImage('source: node\ntags: ["20"]', 'registries:\n  ghcr.io: { tokenRealms: ["https://auth.example.com/token"] }\n'), ENV, 'registries["ghcr.io"].tokenRealms[0]', ['expected a host or host:port']],
    ['auth: azure with a username', withImage('source: node\ntags: ["20"]', 'registries:\n  contoso.azurecr.io: { auth: azure, username: me, password: pw }\n'), ENV, 'registries["contoso.azurecr.io"].auth', ['either auth: azure or a username and password']],
    ['an unknown auth', withImage('source: node\ntags: ["20"]', 'registries:\n  contoso.azurecr.io: { auth: aad }\n'), ENV, 'registries["contoso.azurecr.io"].auth', ['"azure"', '"anonymous"']],
    ['audience without auth: azure', withImage('source: node\ntags: ["20"]', 'registries:\n  contoso.azurecr.us: { audience: "https://containerregistry.azure.us" }\n'), ENV, 'registries["contoso.azurecr.us"].audience', ['only with auth: azure']],
  ])('%s', (_what, text, env, at, pieces) => {
    const err = errorOf(text, env);
    expect(err.code).toMatch(/^CONFIG_/);
    expect(err.file).toBe(FILE);
    if (at) expect(err.path).toBe(at);
    expect(err.message.startsWith(FILE)).toBe(true);
    for (const piece of pieces) expect(err.message).toContain(piece);
  });

  it('points at the line and column of the offending value', () => {
    const err = errorOf(withImage('source: node\ntags: ["20"]\ngates:\n  cooldown: 24x'));
    // line 1 target, 2 registry, 3 images, 4 source, 5 tags, 6 gates, 7 cooldown
    expect([err.line, err.column]).toEqual([7, 17]);
    expect(err.message).toContain(`${FILE}:7:17: images[0].gates.cooldown:`);
  });

  it('reports every problem of a stage, the first in the headline', () => {
    const err = errorOf(withImage('source: node\ntags: ["20"]\ngates: { cooldown: 24x, maxSize: big }'));
    expect(err.path).toBe('images[0].gates.cooldown');
    expect(err.message).toMatch(/\n {2}.*images\[0\]\.gates\.maxSize: expected a size/);
  });

  it('never echoes a value that came from the environment', () => {
    const err = errorOf(withImage('source: node\ntags: ["20"]', 'registries:\n  docker.io: { minRemaining: "${LIMIT}" }\n'), { LIMIT: 'tok-3f9a8b' });
    expect(err.path).toBe('registries["docker.io"].minRemaining');
    expect(err.message).toContain('found "${LIMIT}"');
    expect(err.message).not.toContain('tok-3f9a8b');
  });

  it('does not echo credentials embedded in a reference', () => {
    const err = errorOf(withImage('source: bob:hunter2@registry.example.com/app\ntags: ["1"]'));
    expect(err.message).not.toContain('hunter2');
  });
});
