/**
 * An `az` stand-in for a CLI child that uses the real `@azure/identity` chain
 * (`AZURE_TOKEN_CREDENTIALS=AzureCliCredential`, shared/facts.md). `AzureCliCredential` runs
 * `az account get-access-token --output json --resource <resource> [--tenant T]` through the
 * shell and reads `accessToken` and `expires_on` (seconds) or `expiresOn` from stdout; a stderr
 * naming `az login` means "not logged in" (CredentialUnavailableError). The stand-in answers
 * that one command with a token it gets from the test Entra authority's client-credentials
 * endpoint, as the logged-in account; anything else exits 2. `loggedIn: false` plays a user who
 * never ran `az login`. Every invocation is appended to `calls.jsonl`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EntraAuthority } from './entra-authority';

export interface AzCliStandIn {
  /** Put first on PATH. */
  binDir: string;
  /** Environment for the child: PATH with the stand-in first, and the identity chain narrowed to the CLI credential. */
  env: Record<string, string>;
  /** The argument lists it was called with. */
  calls(): string[][];
  cleanup(): void;
}

const SCRIPT = `'use strict';
const fs = require('node:fs');
const config = JSON.parse(fs.readFileSync(__dirname + '/config.json', 'utf8'));
const args = process.argv.slice(2);
fs.appendFileSync(__dirname + '/calls.jsonl', JSON.stringify(args) + '\\n');
if (args[0] !== 'account' || args[1] !== 'get-access-token' || args.indexOf('--resource') < 0) {
  process.stderr.write('az stand-in: only "account get-access-token --resource R" is supported\\n');
  process.exit(2);
}
if (!config.loggedIn) {
  process.stderr.write("ERROR: Please run 'az login' to setup account.\\n");
  process.exit(1);
}
const resource = args[args.indexOf('--resource') + 1];
const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret, scope: resource + '/.default' });
fetch(config.tokenUrl, { method: 'POST', body: form }).then(async (res) => {
  const body = await res.json();
  if (!res.ok) {
    process.stderr.write('ERROR: ' + (body.error_description || body.error) + '\\n');
    process.exit(1);
  }
  const expiresOn = Math.floor(Date.now() / 1000) + body.expires_in;
  const local = new Date(expiresOn * 1000).toISOString().replace('T', ' ').replace('Z', '000');
  process.stdout.write(JSON.stringify({ accessToken: body.access_token, expiresOn: local, expires_on: expiresOn, subscription: config.subscription, tenant: config.tenant, tokenType: 'Bearer' }, null, 2) + '\\n');
});
`;

/** Writes the stand-in into a temp directory. */
export function installAzCliStandIn(authority: EntraAuthority, options: { loggedIn?: boolean } = {}): AzCliStandIn {
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-az-'));
  const config = {
    loggedIn: options.loggedIn ?? true,
    tokenUrl: `${authority.url}/${authority.tenant}/oauth2/v2.0/token`,
    clientId: authority.client.id,
    clientSecret: authority.client.secret,
    tenant: authority.tenant,
    subscription: '00000000-1111-2222-3333-444444444444',
  };
  fs.writeFileSync(path.join(binDir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(binDir, 'az.cjs'), SCRIPT);
  fs.writeFileSync(path.join(binDir, 'az'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(binDir, 'az.cjs')}" "$@"\n`, { mode: 0o755 });
  return {
    binDir,
    env: { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' },
    calls: () => {
      const file = path.join(binDir, 'calls.jsonl');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : [];
    },
    cleanup: () => fs.rmSync(binDir, { recursive: true, force: true }),
  };
}
