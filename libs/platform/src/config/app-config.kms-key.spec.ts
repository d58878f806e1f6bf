import { configProblems } from './testing/config-problems.js';

const KMS_KEY_NAME = 'projects/p/locations/us/keyRings/r/cryptoKeys/k';
const shared = {
  CA_ROOT_API_KEY: 'k'.repeat(32),
  WAREHOUSE_DRIVER: 'bigquery',
  GCP_PROJECT_ID: 'finops-stage',
  TENANCY_DB_DRIVER: 'postgres',
  DATABASE_URL: 'postgres://db.example/app',
  CORS_ORIGINS: 'https://app.example.com',
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
