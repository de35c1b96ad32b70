/**
 * The Functions app's start-up check (issue #7), apart from the composition root so that loading
 * the app costs only what the check needs (issue #20: settings, yaml, the config schema), not the
 * Azure SDKs: reads the app settings and the deployed basegate.yaml with the same schema as the
 * CLI, and throws a ConfigError naming what is wrong, which stops the host from loading any
 * function.
 */
import * as fs from 'node:fs';
import { readAppSettings, type AppSettings, type ReadAppSettingsOptions } from '../config/app-settings';
import type { Config } from '../config/config';
import { parseConfig } from '../config/load-config';
import { trackedImages, type ConfiguredImage } from '../config/tracked-images';
import { ConfigError } from '../errors';

/** What start-up read and checked. */
export interface AzureStartup {
  settings: AppSettings;
  config: Config;
  images: ConfiguredImage[];
  env: Readonly<Record<string, string | undefined>>;
}

/** Reads and checks the app settings and basegate.yaml; throws a ConfigError naming what is wrong. */
export function loadAzureStartup(env: Readonly<Record<string, string | undefined>>, options: ReadAppSettingsOptions = {}): AzureStartup {
  const settings = readAppSettings(env, options);
  let text: string;
  try {
    text = fs.readFileSync(settings.configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`expected basegate.yaml deployed with the app (BASEGATE_CONFIG_PATH), found ${code === 'ENOENT' ? 'no file' : `an unreadable file (${code})`}`, {
      file: settings.configPath,
      code: code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE',
    });
  }
  const config = parseConfig(text, { file: settings.configPath, env: { ...env } });
  if (config.target.kind === 'layout') {
    throw new ConfigError('expected a registry target: an OCI layout directory on a function instance is lost when it recycles (layouts are for the CLI)', { file: config.file, path: 'target', code: 'CONFIG_UNSUPPORTED' });
  }
  return { settings, config, images: trackedImages(config), env };
}

