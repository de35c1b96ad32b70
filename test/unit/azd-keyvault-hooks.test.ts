/**
 * The azd hooks that give each deployment a Key Vault name of its own (issue #15: purge protection
 * on, and an `azd up` after `azd down` of the same environment must not collide with the
 * soft-deleted vault). Run with sh against an `azd` stand-in on PATH that keeps the environment's
 * values in a file and answers `azd env get-value` / `azd env set` as azd does (a missing key:
 * exit 1, message on stderr; https://learn.microsoft.com/azure/developer/azure-developer-cli/reference#azd-env-get-value).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-azd-'));
  fs.writeFileSync(
    path.join(dir, 'azd'),
    [
      '#!/bin/sh',
      'env_file="$AZD_STAND_IN_ENV"; touch "$env_file"',
      '[ "$1" = env ] || { echo "stand-in: unexpected azd $*" >&2; exit 9; }',
      'case "$2" in',
      '  get-value) line=$(grep "^$3=" "$env_file" | tail -1); [ -n "$line" ] || { echo "ERROR: key \'$3\' not found in the environment values" >&2; exit 1; }; printf "%s\\n" "${line#*=}" ;;',
      '  set) grep -v "^$3=" "$env_file" > "$env_file.tmp" || true; mv "$env_file.tmp" "$env_file"; printf "%s=%s\\n" "$3" "$4" >> "$env_file" ;;',
      '  *) echo "stand-in: unexpected azd $*" >&2; exit 9 ;;',
      'esac',
    ].join('\n'),
    { mode: 0o755 },
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (script: string) => execFileSync('sh', [path.join(ROOT, 'scripts/azd', script)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, AZD_STAND_IN_ENV: path.join(dir, '.env') }, encoding: 'utf8' });
const values = () => Object.fromEntries(fs.readFileSync(path.join(dir, '.env'), 'utf8').trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

it('chooses a valid vault name once, keeps it across provisions, and a new one after azd down', () => {
  run('keyvault-name.sh');
  const first = values().BASEGATE_KEYVAULT_NAME;
  expect(first).toMatch(/^kv-[0-9a-f]{16}$/);
  run('keyvault-name.sh');
  expect(values().BASEGATE_KEYVAULT_NAME).toBe(first);

  // azd writes the outputs of a provision into the environment; azd down leaves them there.
  fs.appendFileSync(path.join(dir, '.env'), `AZURE_KEY_VAULT_NAME=${first}\n`);
  run('keyvault-forget.sh');
  expect(values()).toMatchObject({ BASEGATE_KEYVAULT_NAME: '', AZURE_KEY_VAULT_NAME: '' });
  run('keyvault-name.sh');
  const second = values().BASEGATE_KEYVAULT_NAME;
  expect(second).toMatch(/^kv-[0-9a-f]{16}$/);
  expect(second).not.toBe(first);
});

it('keeps the vault of an environment provisioned before the hook existed', () => {
  fs.writeFileSync(path.join(dir, '.env'), 'AZURE_KEY_VAULT_NAME=kv-abc123def4567\n');
  run('keyvault-name.sh');
  expect(values().BASEGATE_KEYVAULT_NAME).toBe('kv-abc123def4567');
});

it('azure.yaml runs the hooks before provisioning and after azd down, on every platform', () => {
  const yaml = fs.readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8');
  expect(yaml).toMatch(/preprovision:\n\s+posix: \{ shell: sh, run: \.\/scripts\/azd\/keyvault-name\.sh \}\n\s+windows: \{ shell: pwsh, run: \.\/scripts\/azd\/keyvault-name\.ps1 \}/);
  expect(yaml).toMatch(/postdown:\n\s+posix: \{ shell: sh, run: \.\/scripts\/azd\/keyvault-forget\.sh \}\n\s+windows: \{ shell: pwsh, run: \.\/scripts\/azd\/keyvault-forget\.ps1 \}/);
});
