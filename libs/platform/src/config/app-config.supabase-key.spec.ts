import { configProblems } from './testing/config-problems.js';

const problemsOf = (key: string) =>
  configProblems({
    CA_ROOT_API_KEY: 'k'.repeat(32),
    TENANCY_DB_DRIVER: 'supabase',
    SUPABASE_URL: 'https://abcd.supabase.co',
    SUPABASE_SERVICE_ROLE_KEY: key,
  });

/** A Supabase legacy API key: a JWT signed with the project's secret (the signature is not checked here). */
const legacyKey = (role: string) =>
  [
    Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify({ iss: 'supabase', ref: 'abcd', role, iat: 1700000000 })).toString(
      'base64url',
    ),
    'c2lnbmF0dXJlLW9mLXRoZS1wcm9qZWN0LXNlY3JldA',
  ].join('.');

describe('SUPABASE_SERVICE_ROLE_KEY', () => {
  it("refuses the project's anon key by name, without printing it", () => {
    const key = legacyKey('anon');
    const problems = problemsOf(key);
    expect(problems).toEqual([
      "SUPABASE_SERVICE_ROLE_KEY is a key of the anon role, which the tenancy tables and functions refuse: set the project's service_role (or sb_secret_) key",
    ]);
    expect(problems.join('\n')).not.toContain(key.split('.')[1]);
  });

  it('refuses a publishable key', () => {
    expect(problemsOf('sb_publishable_AbCdEfGhIjKlMnOpQrStUv_12345678')).toEqual([
      "SUPABASE_SERVICE_ROLE_KEY is a key of the publishable role, which the tenancy tables and functions refuse: set the project's service_role (or sb_secret_) key",
    ]);
  });

  it('takes the service role key, a secret key, and a key whose role it cannot tell', () => {
    expect(problemsOf(legacyKey('service_role'))).toEqual([]);
    expect(problemsOf('sb_secret_AbCdEfGhIjKlMnOpQrStUv_12345678')).toEqual([]);
    expect(problemsOf('a-service-key-of-another-shape-0123456789')).toEqual([]);
  });
});
