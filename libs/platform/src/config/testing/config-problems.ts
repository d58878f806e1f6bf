import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigValidationError, loadAppConfig } from '../app-config.js';

/** What staging and production need set, their defaults being development's (the dashboard, the pipeline service). */
export const DEPLOYED_URLS: Readonly<Record<string, string>> = {
  CORS_ORIGINS: 'https://app.example.com',
  PIPELINE_SERVICE_URL: 'https://pipelines.example.com',
};

/** A production configuration on the embedded engines that the start takes. */
export const PRODUCTION_ON_EMBEDDED_ENGINES: Readonly<Record<string, string>> = {
  ENVIRONMENT: 'production',
  ALLOW_EMBEDDED_ENGINES: 'true',
  CA_ROOT_API_KEY: 'k'.repeat(32),
  KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
  ...DEPLOYED_URLS,
};

/**
 * A fresh data folder for one configuration load (a development load writes its root key there):
 * in the test run's own temp folder (TEST_TMP_DIR, removed when the run ends: test/global-setup.ts)
 * when there is one. One folder per load in the system's temp folder left ~570 behind each run.
 */
export const tmpDataDir = (): string =>
  fs.mkdtempSync(path.join(process.env.TEST_TMP_DIR ?? os.tmpdir(), 'cfg-'));

/** What the start would refuse in `env` (a fresh DATA_DIR added): the problems, none when it loads. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadAppConfig({ DATA_DIR: tmpDataDir(), ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
}
