import { canonicalJson, requestFingerprint } from './request-fingerprint.js';

const base = { method: 'POST', path: '/api/v1/orgs/acme/runs', query: {}, body: { a: 1, b: { c: [1, 2] } } };

describe('requestFingerprint', () => {
  it('is the same for a body whose keys come in another order', () => {
    expect(requestFingerprint({ ...base, body: { b: { c: [1, 2] }, a: 1 } })).toBe(requestFingerprint(base));
    expect(canonicalJson({ z: 1, a: { y: 2, b: 3 }, u: undefined })).toBe('{"a":{"b":3,"y":2},"z":1}');
  });

  it('differs when the method, path, query, a value or the array order differ', () => {
    const others = [
      { ...base, method: 'PUT' },
      { ...base, path: '/api/v1/orgs/other/runs' },
      { ...base, query: { dry_run: 'true' } },
      { ...base, body: { a: 2, b: { c: [1, 2] } } },
      { ...base, body: { a: 1, b: { c: [2, 1] } } },
      { ...base, body: undefined },
    ];
    const hashes = new Set([base, ...others].map(requestFingerprint));
    expect(hashes.size).toBe(others.length + 1);
  });

  it('hashes a body that is not JSON by its bytes', () => {
    const csv = { ...base, body: Buffer.from('a,b\n1,2\n') };
    expect(requestFingerprint(csv)).toBe(requestFingerprint({ ...base, body: Buffer.from('a,b\n1,2\n') }));
    expect(requestFingerprint(csv)).not.toBe(
      requestFingerprint({ ...base, body: Buffer.from('a,b\n1,3\n') }),
    );
  });
});
