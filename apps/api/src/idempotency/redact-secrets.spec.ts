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

  it('leaves the input untouched and scalars as they are', () => {
    const body = { api_key: 'k' };
    redactSecrets(body);
    expect(body).toEqual({ api_key: 'k' });
    expect(redactSecrets([1, 'token', null])).toEqual([1, 'token', null]);
  });
});
