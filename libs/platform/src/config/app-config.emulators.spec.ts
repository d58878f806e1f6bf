import { configProblems, DEPLOYED_URLS } from './testing/config-problems.js';

const production = {
  ENVIRONMENT: 'production',
  CA_ROOT_API_KEY: 'k'.repeat(32),
  WAREHOUSE_DRIVER: 'bigquery',
  GCP_PROJECT_ID: 'finops-prod',
  TENANCY_DB_DRIVER: 'postgres',
  DATABASE_URL: 'postgres://db.example/app',
  SINGLE_INSTANCE: 'true',
  KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
  ...DEPLOYED_URLS,
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

describe('DEMO_DATA', () => {
  it('is refused in production on real engines, taken on the embedded ones and elsewhere', () => {
    const refusal =
      'DEMO_DATA: production refuses to seed the demo organization into a real warehouse or tenancy database (use it in development or staging, or on the embedded engines)';
    expect(configProblems({ ...production, DEMO_DATA: 'true' })).toEqual([refusal]);
    expect(configProblems({ ...production, DEMO_DATA: 'false' })).toEqual([]);
    const embedded = {
      WAREHOUSE_DRIVER: 'duckdb',
      TENANCY_DB_DRIVER: 'pglite',
      ALLOW_EMBEDDED_ENGINES: 'true',
    };
    expect(configProblems({ ...production, ...embedded, DEMO_DATA: 'true' })).toEqual([]);
    expect(configProblems({ ...production, ENVIRONMENT: 'staging', DEMO_DATA: 'true' })).toEqual([]);
  });
});

describe('BIGQUERY_STORAGE_API_ENDPOINT', () => {
  it('refuses a port out of range, by name, as PORT is', () => {
    // Taken, it went to the Storage client as it was, to fail only once a frame was read.
    for (const endpoint of ['127.0.0.1:0', '127.0.0.1:65536', 'localhost:99999'])
      expect(configProblems({ BIGQUERY_STORAGE_API_ENDPOINT: endpoint }), endpoint).toEqual([
        'BIGQUERY_STORAGE_API_ENDPOINT must be host:port (a port from 1 to 65535)',
      ]);
    for (const endpoint of ['127.0.0.1:1', 'localhost:9060', 'bq-storage:65535'])
      expect(configProblems({ BIGQUERY_STORAGE_API_ENDPOINT: endpoint }), endpoint).toEqual([]);
  });
});
