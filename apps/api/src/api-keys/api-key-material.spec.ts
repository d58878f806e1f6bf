import { generateApiKey, keyEncryptionContext, keyFingerprint } from './api-key-material.js';

describe('API key material', () => {
  it('is the org slug, _api_ and 32 URL-safe random characters', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey('acme_corp'));
    for (const key of keys) expect(key).toMatch(/^acme_corp_api_[A-Za-z0-9_-]{32}$/);
    expect(new Set(keys).size).toBe(200);
  });

  it('fingerprints a key by its own last 4 characters', () => {
    expect(keyFingerprint('acme_api_abcdefghijklmnopqrstuvwxyz0123-_')).toBe('23-_');
  });

  it('binds the encryption context to the org', () => {
    expect(keyEncryptionContext('acme')).toBe('org_api_key:acme');
  });
});
