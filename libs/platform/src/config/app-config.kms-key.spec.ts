import { loadAppConfig } from './app-config.js';
import { configProblems, tmpDataDir, DEPLOYED_URLS } from './testing/config-problems.js';

const KMS_KEY_NAME = 'projects/p/locations/us/keyRings/r/cryptoKeys/k';
const shared = {
  CA_ROOT_API_KEY: 'k'.repeat(32),
  WAREHOUSE_DRIVER: 'bigquery',
  GCP_PROJECT_ID: 'finops-stage',
  TENANCY_DB_DRIVER: 'postgres',
  DATABASE_URL: 'postgres://db.example/app',
  ...DEPLOYED_URLS,
};

describe('KMS_KEY_NAME outside development', () => {
  it('is required in staging, where instances sharing the warehouse would each make a local key', () => {
    expect(configProblems({ ...shared, ENVIRONMENT: 'staging' })).toEqual([
      'KMS_KEY_NAME must be projects/P/locations/L/keyRings/R/cryptoKeys/K (required in staging and production)',
    ]);
    expect(configProblems({ ...shared, ENVIRONMENT: 'staging', KMS_KEY_NAME })).toEqual([]);
  });

  it('is required in production, and not in development (the local key file)', () => {
    const production = {
      ...shared,
      ENVIRONMENT: 'production',
      SINGLE_INSTANCE: 'true',
    };
    expect(configProblems(production)).toEqual([
      'KMS_KEY_NAME must be projects/P/locations/L/keyRings/R/cryptoKeys/K (required in staging and production)',
    ]);
    expect(configProblems({ ...production, KMS_KEY_NAME })).toEqual([]);
    expect(configProblems(shared)).toEqual([]);
  });
});

describe('KMS_KEY_NAME as written', () => {
  const staging = { ...shared, ENVIRONMENT: 'staging', DATA_DIR: tmpDataDir() };

  it('is read without the line break of a value written with echo, as KMS names the key back', () => {
    // Kept, the key's versions KMS answers (…/cryptoKeys/k/cryptoKeyVersions/1) did not start with
    // the configured name: every encrypt was "an unexpected encrypt response".
    for (const written of [`${KMS_KEY_NAME}\n`, ` ${KMS_KEY_NAME} `])
      expect(loadAppConfig({ ...staging, KMS_KEY_NAME: written }).env.KMS_KEY_NAME).toBe(KMS_KEY_NAME);
  });

  it('refuses spaces inside the name, by name', () => {
    expect(
      configProblems({
        ...shared,
        ENVIRONMENT: 'staging',
        KMS_KEY_NAME: KMS_KEY_NAME.replace('/r/', '/r x/'),
      }),
    ).toEqual([
      'KMS_KEY_NAME must be projects/P/locations/L/keyRings/R/cryptoKeys/K (required in staging and production)',
    ]);
  });
});
