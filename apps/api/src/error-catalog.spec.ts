import { ERROR_CATALOG, joinCatalogs } from './error-catalog.js';

describe('the error catalog', () => {
  it('refuses a code two modules map differently, and accepts the same mapping twice', () => {
    const a = { ORG_NOT_FOUND: { status: 404, title: 'Organization not found' } };
    const b = { ORG_NOT_FOUND: { status: 400, title: 'Organization not found' } };
    expect(() => joinCatalogs(a, b)).toThrow('ORG_NOT_FOUND is mapped differently by two modules');
    expect(joinCatalogs(a, { ...a })).toEqual(a);
  });

  it('maps the shared organization codes once', () => {
    expect(ERROR_CATALOG.ORG_NOT_FOUND).toEqual({ status: 404, title: 'Organization not found' });
    expect(ERROR_CATALOG.ORG_NOT_ACTIVE).toEqual({ status: 400, title: 'Organization is not active' });
  });
});
