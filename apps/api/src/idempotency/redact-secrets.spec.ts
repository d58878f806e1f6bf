import { REDACTED, redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  it('redacts every secret-named property at any depth, arrays included, whatever its value', () => {
    const body = {
      api_key: 'k1',
      org: { apiKey: 'k2', name: 'Acme', settings: [{ password: 'p', port: 5432 }] },
      secret: { nested: 'object' },
      token: null,
      credential: 'c',
      credentials: ['a', 'b'],
      private_key: '-----BEGIN',
    };
    expect(redactSecrets(body)).toEqual({
      api_key: REDACTED,
      org: { apiKey: REDACTED, name: 'Acme', settings: [{ password: REDACTED, port: 5432 }] },
      secret: REDACTED,
      token: REDACTED,
      credential: REDACTED,
      credentials: REDACTED,
      private_key: REDACTED,
    });
  });

  it('matches names regardless of case and underscores, but keeps longer names that contain one', () => {
    expect(
      redactSecrets({
        API_KEY: 'a',
        Token: 'b',
        privateKey: 'c',
        token_type: 'bearer',
        next_page_token: 'n',
      }),
    ).toEqual({
      API_KEY: REDACTED,
      Token: REDACTED,
      privateKey: REDACTED,
      token_type: 'bearer',
      next_page_token: 'n',
    });
  });

  it('redacts names that end in a secret, as providers and OAuth spell them', () => {
    const names = [
      'client_secret',
      'access_token',
      'refresh-token',
      'id_token',
      'aws_secret_access_key',
      'AWS_SESSION_TOKEN',
      'org_api_key',
      'db_password',
      'service_role_key',
      'connectionString',
      'encrypted_credentials',
    ];
    const kept = ['secret_name', 'token_type', 'tokens_used', 'password_policy', 'credential_id', 'key_id'];
    const body = Object.fromEntries([...names, ...kept].map((n) => [n, 'v']));
    expect(redactSecrets(body)).toEqual(
      Object.fromEntries([...names.map((n) => [n, REDACTED]), ...kept.map((n) => [n, 'v'])]),
    );
  });

  it('leaves the input untouched and scalars as they are', () => {
    const body = { api_key: 'k' };
    redactSecrets(body);
    expect(body).toEqual({ api_key: 'k' });
    expect(redactSecrets([1, 'token', null])).toEqual([1, 'token', null]);
  });
});
