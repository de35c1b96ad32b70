/**
 * Jest global setup: starts the shared real servers once per run, on free loopback ports:
 * three `docker-registry` instances (anonymous, htpasswd Basic, token auth with a test issuer)
 * and Azurite (queues, tables, in memory). Tests read their addresses with `testEnv()`.
 * Tests that need a server of their own (to count requests, to break it) start one with the
 * same helpers and stop it in `afterAll`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAzurite, type AzuriteServer } from './azurite-server';
import { startRegistry, type RegistryServer } from './registry-server';
import { ENV_FILE_VARIABLE, type TestEnv } from './test-env';

declare global {
  // eslint-disable-next-line no-var
  var __basegateServers: Array<RegistryServer | AzuriteServer> | undefined;
}

export default async function globalSetup(): Promise<void> {
  const [anonymous, basic, token, azurite] = await Promise.all([
    startRegistry({ auth: 'anonymous' }),
    startRegistry({ auth: 'basic' }),
    startRegistry({ auth: 'token' }),
    startAzurite(),
  ]);
  globalThis.__basegateServers = [anonymous, basic, token, azurite];
  const env: TestEnv = {
    registries: {
      anonymous: { host: anonymous.host },
      basic: { host: basic.host, users: basic.users },
      token: { host: token.host, users: token.users, realm: token.tokenIssuer!.realm },
    },
    azurite: { connectionString: azurite.connectionString, queuePort: azurite.queuePort, tablePort: azurite.tablePort },
    pids: [anonymous.pid, basic.pid, token.pid, azurite.pid],
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'basegate-test-env-')), 'env.json');
  fs.writeFileSync(file, JSON.stringify(env, null, 2));
  process.env[ENV_FILE_VARIABLE] = file;
}
