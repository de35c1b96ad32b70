/**
 * What the CLI end-to-end tests share: a temp directory per test holding basegate.yaml (and the
 * state beside it), an upstream behind the fault proxy (the shared anonymous registry) and the
 * token-auth registry as the target, with its password passed as `${TARGET_PASSWORD}`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RawTarget } from './raw-registry';
import { registryLogin, testEnv } from '../servers/test-env';

/** The shared anonymous registry, where tests seed upstream images. */
export function upstreamRegistry(): RawTarget {
  return { host: testEnv().registries.anonymous.host };
}

/** The token-auth registry promoted into, with its credentials. */
export function targetRegistry(): Required<Omit<RawTarget, 'token'>> {
  return registryLogin('token');
}

/** A temp directory for one test's config and state. */
export interface CliWorkspace {
  dir: string;
  /** Writes basegate.yaml with the `images:` entries given (YAML, indented by two) and returns its path. */
  writeConfig(images: string, options?: { target?: string; registries?: string; defaults?: string }): string;
  /** The default state file of that config. */
  stateFile(): string;
  cleanup(): void;
}

/** Creates a workspace; `cleanup()` removes it. */
export function cliWorkspace(prefix = 'basegate-e2e-'): CliWorkspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    writeConfig(images, options = {}) {
      const t = targetRegistry();
      process.env.TARGET_PASSWORD = t.password;
      const file = path.join(dir, 'basegate.yaml');
      const text = [
        'registries:',
        `  "${t.host}":`,
        `    username: ${t.username}`,
        '    password: ${TARGET_PASSWORD}',
        ...(options.registries ? [options.registries] : []),
        'target:',
        options.target ?? `  registry: "${t.host}"`,
        'images:',
        images,
        ...(options.defaults ? ['defaults:', options.defaults] : []),
      ].join('\n');
      fs.writeFileSync(file, `${text}\n`);
      return file;
    },
    stateFile: () => path.join(dir, '.basegate', 'state.json'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn` with `BASEGATE_NOW` set (the CLI's clock seam, functions/cli/env-clock.ts). */
export async function at<T>(iso: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.BASEGATE_NOW;
  process.env.BASEGATE_NOW = iso;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.BASEGATE_NOW;
    else process.env.BASEGATE_NOW = before;
  }
}
