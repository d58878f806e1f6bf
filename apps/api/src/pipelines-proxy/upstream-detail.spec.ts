import { scrubSecrets } from '#platform';
import { upstreamDetail } from './pipeline-service.client.js';

const KEY = `acme_corp_api_${'k'.repeat(32)}`;

describe('upstreamDetail: what of an upstream text reaches a caller', () => {
  it('masks keys and cuts the text to 500 characters', () => {
    const detail = upstreamDetail(`bad key ${KEY} ${'x'.repeat(1000)}`);
    expect(detail).toHaveLength(500);
    expect(detail.startsWith('bad key [REDACTED] x')).toBe(true);
  });

  it('scrubs only the start of a megabyte body, and never shows a key the cut split', () => {
    // The upstream may answer up to 1 MiB; only its first 4,000 characters are scrubbed. A key
    // straddling that cut is too short for its pattern (16+ characters after `_api_`) once cut,
    // so the cut end is dropped: here the long secrets before it shrank the text under 500.
    const pem = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(1735)}\n-----END PRIVATE KEY----- `;
    const head = `${pem.repeat(2)}${'y'.repeat(399)} `;
    expect(head).toHaveLength(3980);
    const detail = upstreamDetail(`${head}${KEY}${'z'.repeat(1024 * 1024)}`);
    expect(detail).not.toContain('acme_corp');
    expect(detail).toBe(`[REDACTED] [REDACTED] ${'y'.repeat(186 - 22)}`);
    // A text shorter than the scrubbed part is scrubbed whole.
    expect(upstreamDetail(`${'w'.repeat(3000)} ${KEY}`)).toBe('w'.repeat(500));
  });
});

describe('scrubSecrets on adversarial text', () => {
  it('masks URL passwords in a megabyte of "//a:" (the pattern scanned it once per "//": minutes)', () => {
    const text = `${'//a:'.repeat(256 * 1024)} postgres://user:pa/ss@db.internal/finops`;
    const out = scrubSecrets(text);
    expect(out.endsWith(' postgres://user:[REDACTED]@db.internal/finops')).toBe(true);
  });

  it('still masks a password holding single slashes, not past a "//"', () => {
    expect(scrubSecrets('redis://svc:a/b/c@cache:6379')).toBe('redis://svc:[REDACTED]@cache:6379');
    // A password without a user name (Redis' form) is masked too.
    expect(scrubSecrets('redis://:s3cret@cache:6379')).toBe('redis://:[REDACTED]@cache:6379');
    expect(scrubSecrets('see //x:y then https://u:secret@h')).toBe('see //x:y then https://u:[REDACTED]@h');
  });
});
