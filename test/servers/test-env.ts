/** Where the shared test servers of this jest run listen (written by the global setup). */
import * as fs from 'node:fs';

export const ENV_FILE_VARIABLE = 'BASEGATE_TEST_ENV_FILE';

export interface TestEnv {
  registries: {
    anonymous: { host: string };
    basic: { host: string; users: Record<string, string> };
    token: { host: string; users: Record<string, string>; realm: string };
  };
  azurite: { connectionString: string; queuePort: number; tablePort: number };
  pids: number[];
}

let cached: TestEnv | undefined;

/** The shared servers; throws when the global setup did not run. */
export function testEnv(): TestEnv {
  if (cached) return cached;
  const file = process.env[ENV_FILE_VARIABLE];
  if (!file) throw new Error(`${ENV_FILE_VARIABLE} is not set: run the tests through jest (its global setup starts the servers)`);
  cached = JSON.parse(fs.readFileSync(file, 'utf8')) as TestEnv;
  return cached;
}

/** A shared registry that needs a login, with the credentials of its first user. */
export function registryLogin(mode: 'basic' | 'token'): { host: string; username: string; password: string } {
  const registry = testEnv().registries[mode];
  const [username, password] = Object.entries(registry.users)[0];
  return { host: registry.host, username, password };
}

/** A repository name no other test uses, so tests can share the registries. */
export function uniqueRepo(prefix = 'test'): string {
  return `${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
