/**
 * No secret value in infra/ or azure.yaml (issue #8), and no template construct that leaks one.
 * Each planted case copies the deployment files to a temp directory, adds one leak, and shows
 * the scan reports exactly it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomLookingTokens, scanForSecrets } from '../helpers/infra-secrets';

const ROOT = path.resolve(__dirname, '../..');

describe('secrets scan of infra/ and azure.yaml', () => {
  it('finds nothing in the real deployment files', () => {
    expect(scanForSecrets(ROOT)).toEqual([]);
  });

  it.each([
    ['a base64 token', "x: 'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB3aXRoIGVub3VnaCBlbnRyb3B5MTIzNDU2'", true],
    ['a Docker Hub PAT', 'token dckr_pat_AbCdEf0123456789GhIjKlMnOpQrStU', true],
    ['a 40-char hex token', 'ghs 0123456789abcdef0123456789abcdef01234567', true],
    ['a role definition GUID', "'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'", false],
    ['an image digest', `image@sha256:${'ab'.repeat(32)}`, false],
    ['an ARM resource type', "'Microsoft.ContainerRegistry/registries/tasks@2019-04-01'", false],
    ['a schema URL', '"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"', false],
  ])('random-looking token rule: %s', (_what, line, flagged) => {
    expect(randomLookingTokens(line).length > 0).toBe(flagged);
  });
});

describe('secrets scan fails on a planted secret', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-secrets-'));
    fs.cpSync(path.join(ROOT, 'infra'), path.join(tmp, 'infra'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'azure.yaml'), path.join(tmp, 'azure.yaml'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const append = (rel: string, text: string) => fs.appendFileSync(path.join(tmp, rel), text);
  const replace = (rel: string, from: string, to: string) => {
    const file = path.join(tmp, rel);
    const before = fs.readFileSync(file, 'utf8');
    expect(before).toContain(from);
    fs.writeFileSync(file, before.replace(from, to));
  };
  const lineCount = (rel: string) => fs.readFileSync(path.join(tmp, rel), 'utf8').split('\n').length;

  it.each([
    ['AccountKey in a connection string', 'infra/modules/storage.bicep', "var conn = 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abcd'\n", /AccountKey=/],
    ['a SharedAccessSignature', 'infra/modules/storage.bicep', "var sas = 'SharedAccessSignature=sv=2022-11-02'\n", /shared access signature/],
    ['a SAS URL', 'infra/acr/validate-task.yaml', 'url: https://x.blob.core.windows.net/c?sv=2022&sig=AbCdEfGhIjKlMnOpQrStUv%3D\n', /SAS signature/],
    ['a PEM private key', 'infra/modules/key-vault.bicep', "var pem = '''\n-----BEGIN RSA PRIVATE KEY-----\n'''\n", /PEM private key/],
    ['a literal password', 'infra/modules/function-app.bicep', "var dockerHubPassword = 'hunter2hunter2'\n", /literal password/],
    ['a YAML token', 'azure.yaml', 'hooks:\n  token: s3cr3tvalue\n', /literal password, secret or token value \(YAML\)/],
    ['a base64 token', 'infra/modules/identity.bicep', "var t = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1O'\n", /long random-looking token/],
    ['listKeys()', 'infra/modules/storage.bicep', 'output key string = storage.listKeys().keys[0].value\n', /listKeys\(\) returns keys/],
  ])('%s in %s', (_what, rel, planted, expected) => {
    const line = lineCount(rel);
    append(rel, planted);
    const problems = scanForSecrets(tmp);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith(`${rel}:`))).toBe(true);
    expect(problems.some((p) => expected.test(p) && Number(p.split(':')[1]) >= line)).toBe(true);
  });

  it('a @secure() parameter with a default value', () => {
    replace('infra/main.bicep', 'param eventGridFunctionKey string', "param eventGridFunctionKey string = 'not-empty'");
    expect(scanForSecrets(tmp)).toEqual([expect.stringMatching(/^infra\/main\.bicep:\d+: @secure\(\) parameter eventGridFunctionKey has a default value$/)]);
  });

  it('an output built from a @secure() parameter', () => {
    append('infra/modules/registry-events.bicep', 'output leaked string = functionKey\n');
    expect(scanForSecrets(tmp)).toEqual([expect.stringMatching(/output leaked uses the @secure\(\) parameter functionKey$/)]);
  });

  it('a literal value for a @secure() parameter in main.parameters.json', () => {
    replace('infra/main.parameters.json', '"${BASEGATE_EVENTGRID_FUNCTION_KEY}"', '"abc123"');
    expect(scanForSecrets(tmp)).toEqual(['infra/main.parameters.json: secure parameter eventGridFunctionKey must be "${ENV_VAR}" (no default), not a literal']);
  });
});
