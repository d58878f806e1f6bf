import { sanitizeAuditDetails, sanitizeAuditError } from './audit-details.js';

describe('audit details', () => {
  it('drops every key that names a secret, at any depth', () => {
    expect(
      sanitizeAuditDetails({
        api_key: 'x',
        apiKey: 'x',
        client_secret: 'x',
        access_token: 'x',
        Password: 'x',
        credentials: { a: 1 },
        fingerprint: 'ab12',
        nested: { private_key: 'x', region: 'eu', list: [{ refresh_token: 'x', id: 1 }] },
      }),
    ).toEqual({ fingerprint: 'ab12', nested: { region: 'eu', list: [{ id: 1 }] } });
  });

  it('keeps a flag under a secret-looking name: a boolean holds no secret', () => {
    expect(sanitizeAuditDetails({ api_key_retained: true, unshown_key_kept: false, api_key: true })).toEqual({
      api_key_retained: true,
      unshown_key_kept: false,
      api_key: true,
    });
    expect(sanitizeAuditDetails({ api_key_retained: 'yes' })).toEqual({});
  });

  it('masks values that look like an API key even under an innocent name', () => {
    const key = `acme_api_${'A1b2C3d4'.repeat(4)}`;
    const out = sanitizeAuditDetails({ note: `rotated to ${key}`, old: [key] });
    expect(JSON.stringify(out)).not.toContain(key);
    expect(out).toEqual({ note: 'rotated to [REDACTED]', old: ['[REDACTED]'] });
  });

  it('keeps plain values, turns dates into ISO text and absent details into null', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(sanitizeAuditDetails({ n: 1, ok: true, none: null, at, skip: undefined })).toEqual({
      n: 1,
      ok: true,
      none: null,
      at: '2026-01-02T03:04:05.000Z',
    });
    expect(sanitizeAuditDetails(undefined)).toBeNull();
  });

  it('masks keys in error messages and bounds their length', () => {
    expect(sanitizeAuditError(`bad key acme_api_${'x'.repeat(32)}`)).toBe('bad key [REDACTED]');
    expect(sanitizeAuditError('e'.repeat(5000))).toHaveLength(1000);
    expect(sanitizeAuditError(undefined)).toBeNull();
  });

  it('does not cut a character in two at the bound', () => {
    const cut = sanitizeAuditError(`${'e'.repeat(999)}😀 and more`);
    expect(cut).toBe('e'.repeat(999));
    expect(sanitizeAuditError(`${'e'.repeat(998)}😀 and more`)).toBe(`${'e'.repeat(998)}😀`);
  });
});
