import { configProblems, PRODUCTION_ON_EMBEDDED_ENGINES } from './testing/config-problems.js';

const production = PRODUCTION_ON_EMBEDDED_ENGINES;

describe('PIPELINE_SERVICE_URL', () => {
  it('refuses a URL holding a user name or password, without printing them', () => {
    for (const url of [
      'https://svc:s3cret-pw@pipelines.example.com',
      'https://svc@pipelines.example.com',
      'https://:s3cret-pw@pipelines.example.com',
    ]) {
      const problems = configProblems({ PIPELINE_SERVICE_URL: url });
      expect(problems, url).toEqual([
        'PIPELINE_SERVICE_URL must not hold a user name or password (user:password@): the service is called with API keys',
      ]);
      expect(problems.join(), url).not.toMatch(/s3cret|svc/);
    }
  });

  it('requires https in production, where the root key and API keys are sent to it, but for a loopback address', () => {
    expect(configProblems({ ...production, PIPELINE_SERVICE_URL: 'http://pipelines.internal:8001' })).toEqual(
      [
        'PIPELINE_SERVICE_URL must be https in production (plain http only to a loopback address: localhost, 127.0.0.1, [::1])',
      ],
    );
    for (const url of [
      'https://pipelines-abc.a.run.app',
      'http://localhost:8001',
      'http://127.0.0.1:8001',
      'http://[::1]:8001',
    ])
      expect(configProblems({ ...production, PIPELINE_SERVICE_URL: url }), url).toEqual([]);
    // Outside production a plain-http service name is taken (Docker Compose, a staging network).
    expect(configProblems({ PIPELINE_SERVICE_URL: 'http://pipeline_service:8001' })).toEqual([]);
  });
});

describe('SUPABASE_URL', () => {
  const supabase = {
    TENANCY_DB_DRIVER: 'supabase',
    SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_AbCdEfGhIjKlMnOpQrStUv_12345678',
  };

  it('requires https in production, where the service role key goes with every call, but for a loopback address', () => {
    expect(configProblems({ ...production, ...supabase, SUPABASE_URL: 'http://abcd.supabase.co' })).toEqual([
      'SUPABASE_URL must be https in production (plain http only to a loopback address: localhost, 127.0.0.1, [::1])',
    ]);
    for (const url of ['https://abcd.supabase.co', 'http://127.0.0.1:54321'])
      expect(configProblems({ ...production, ...supabase, SUPABASE_URL: url }), url).toEqual([]);
    // A local Supabase (`supabase start`) outside production.
    expect(configProblems({ ...supabase, SUPABASE_URL: 'http://supabase_kong:8000' })).toEqual([]);
  });

  it('refuses a URL holding a user name or password', () => {
    expect(configProblems({ ...supabase, SUPABASE_URL: 'https://u:pw@abcd.supabase.co' })).toEqual([
      'SUPABASE_URL must not hold a user name or password (user:password@): the service is called with API keys',
    ]);
  });

  it("refuses the project's REST URL in place of the project URL: supabase-js adds /rest/v1 itself", () => {
    // The dashboard shows both; given the REST one, every call went to /rest/v1/rest/v1/… (404) and
    // the start failed with "The tenancy database rejected the query", naming no setting.
    for (const url of ['https://abcd.supabase.co/rest/v1', 'https://abcd.supabase.co/rest/v1/'])
      expect(configProblems({ ...supabase, SUPABASE_URL: url }), url).toEqual([
        "SUPABASE_URL must be the project's URL (https://<ref>.supabase.co), not its REST URL ending in /rest/v1: supabase-js adds that path itself",
      ]);
    // A self-hosted Supabase behind a proxy under a path of its own.
    expect(configProblems({ ...supabase, SUPABASE_URL: 'https://gateway.example.com/supabase' })).toEqual([]);
  });
});
