import { type AppConfig, loadAppConfig, readEnvironment } from '#platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CreateAppOptions } from './app.factory.js';

export interface ConfiguredApp {
  config: AppConfig;
  createApp(options?: CreateAppOptions): Promise<NestFastifyApplication>;
}

/**
 * Validates the configuration first, and only then loads the app's modules: some of them read
 * configs/ as they load (the DTOs' decorators list the locale catalog's codes), and must read the
 * validated CONFIGS_DIR. Loaded before validation, a bad CONFIGS_DIR was a stack trace from a
 * module import instead of the message naming it. Throws ConfigValidationError.
 */
export async function loadConfiguredApp(raw = readEnvironment()): Promise<ConfiguredApp> {
  const config = loadAppConfig(raw);
  const { createApp } = await import('./app.factory.js');
  return { config, createApp: (options) => createApp(config, options) };
}
