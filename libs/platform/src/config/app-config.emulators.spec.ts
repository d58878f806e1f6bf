import { configProblems } from './testing/config-problems.js';

const production = {
  ENVIRONMENT: 'production',
  CA_ROOT_API_KEY: 'k'.repeat(32),
  WAREHOUSE_DRIVER: 'bigquery',
  GCP_PROJECT_ID: 'finops-prod',
  TENANCY_DB_DRIVER: 'postgres',
  DATABASE_URL: 'postgres://db.example/app',
  SINGLE_INSTANCE: 'true',
  KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
};
const emulators = {
  BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050',
  BIGQUERY_STORAGE_API_ENDPOINT: '127.0.0.1:9060',
  KMS_API_ENDPOINT: 'http://127.0.0.1:9051',
  // Read by @google-cloud/bigquery from the environment, whatever the service passes it.
  BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050',
  PUBSUB_EMULATOR_HOST: 'localhost:8085',
};

describe('emulator endpoints', () => {
  it('are refused in production, each by name', () => {
    expect(configProblems(production)).toEqual([]);
    expect(configProblems({ ...production, ...emulators })).toEqual(
      Object.keys(emulators).map(
        (name) =>
          `${name}: production refuses an emulator endpoint (only for emulators and tests); unset it to use Google's`,
      ),
    );
  });

  it('are taken in development and staging (emulators and tests)', () => {
    expect(configProblems({ ...production, ENVIRONMENT: 'development', ...emulators })).toEqual([]);
    expect(configProblems({ ...production, ENVIRONMENT: 'staging', ...emulators })).toEqual([]);
  });
});
