import { loadAppConfig } from './app-config.js';
import { configProblems, tmpDataDir, DEPLOYED_URLS } from './testing/config-problems.js';

const tmp = tmpDataDir;
const problemsOf = configProblems;

// The environments and what production requires (moved from app-config.spec.ts, grown past 350 lines).
describe('configuration by environment', () => {
  it('maps staging and production to the stage and prod suffixes', () => {
    const base = {
      CA_ROOT_API_KEY: 'k'.repeat(32),
      ALLOW_EMBEDDED_ENGINES: 'true',
      KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
      ...DEPLOYED_URLS,
    };
    expect(loadAppConfig({ ...base, DATA_DIR: tmp(), ENVIRONMENT: 'staging' }).orgDataset('acme')).toBe(
      'acme_stage',
    );
    expect(loadAppConfig({ ...base, DATA_DIR: tmp(), ENVIRONMENT: 'production' }).orgDataset('acme')).toBe(
      'acme_prod',
    );
  });

  it('reads ENVIRONMENT whatever its case, and an unknown one is only its own error', () => {
    const key = {
      CA_ROOT_API_KEY: 'k'.repeat(32),
      ALLOW_EMBEDDED_ENGINES: 'true',
      KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
      ...DEPLOYED_URLS,
    };
    expect(loadAppConfig({ ...key, DATA_DIR: tmp(), ENVIRONMENT: ' Production ' }).isProduction).toBe(true);
    // Without a root key: an unknown environment must not be judged by production's rules.
    expect(problemsOf({ ENVIRONMENT: 'prod' })).toEqual([
      'ENVIRONMENT must be one of development, staging, production (did you mean production?)',
    ]);
    expect(problemsOf({ ENVIRONMENT: 'qa' })).toEqual([
      'ENVIRONMENT must be one of development, staging, production',
    ]);
  });

  it('refuses NODE_ENV=production without ENVIRONMENT (it would run the development setup)', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ENVIRONMENT: NODE_ENV is production but ENVIRONMENT is not set/);
    expect(problemsOf({ NODE_ENV: 'production', ENVIRONMENT: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
  });

  it('refuses embedded engines in production unless told explicitly', () => {
    const problems = problemsOf({ ENVIRONMENT: 'production', CA_ROOT_API_KEY: 'k'.repeat(32) });
    expect(problems.some((p) => p.startsWith('WAREHOUSE_DRIVER'))).toBe(true);
    expect(problems.some((p) => p.startsWith('TENANCY_DB_DRIVER'))).toBe(true);
  });

  it('requires the settings of the chosen production engines', () => {
    const problems = problemsOf({
      WAREHOUSE_DRIVER: 'bigquery',
      TENANCY_DB_DRIVER: 'supabase',
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    const text = problems.join('\n');
    for (const v of ['GCP_PROJECT_ID', 'SUPABASE_URL', 'SUPABASE_SERVICE_ROLE_KEY'])
      expect(text).toContain(v);
    expect(problemsOf({ TENANCY_DB_DRIVER: 'postgres', CA_ROOT_API_KEY: 'k'.repeat(32) }).join()).toContain(
      'DATABASE_URL',
    );
  });

  it('requires a Cloud KMS key name in production', () => {
    const problems = problemsOf({
      ENVIRONMENT: 'production',
      ALLOW_EMBEDDED_ENGINES: 'true',
      CA_ROOT_API_KEY: 'k'.repeat(32),
    });
    expect(problems.join()).toContain('KMS_KEY_NAME');
    expect(problemsOf({ KMS_KEY_NAME: 'my-key' }).join()).toContain('KMS_KEY_NAME');
  });

  it('requires Redis in production unless one instance runs', () => {
    const production = {
      ENVIRONMENT: 'production',
      WAREHOUSE_DRIVER: 'bigquery',
      GCP_PROJECT_ID: 'finops-prod',
      TENANCY_DB_DRIVER: 'postgres',
      DATABASE_URL: 'postgres://db.example/app',
      CA_ROOT_API_KEY: 'k'.repeat(32),
      KMS_KEY_NAME: 'projects/p/locations/us/keyRings/r/cryptoKeys/k',
      ...DEPLOYED_URLS,
    };
    expect(problemsOf(production)).toEqual([expect.stringMatching(/^REDIS_URL: production needs Redis/)]);
    expect(problemsOf({ ...production, REDIS_URL: 'redis://cache.example:6379' })).toEqual([]);
    expect(problemsOf({ ...production, SINGLE_INSTANCE: 'true' })).toEqual([]);
    // Allowing embedded engines while running the shared ones is still several instances.
    expect(problemsOf({ ...production, ALLOW_EMBEDDED_ENGINES: 'true' }).join()).toContain('REDIS_URL');
  });
});
