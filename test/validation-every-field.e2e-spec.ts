import { anOrgWithKey } from '#test/org-factory';
import { ProbeModule } from '#test/probe.module';
import { startTestApp, type TestApp } from '#test/test-app';
import { WAREHOUSE, type Warehouse } from '#warehouse';

type Violation = { field: string; message: string };

describe('a 422 names every bad field, also beside text no database takes or a repeated parameter', () => {
  let t: TestApp;
  let org: string;
  let key: string;

  beforeAll(async () => {
    t = await startTestApp({}, { imports: [ProbeModule] });
    ({ org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE)));
  });
  afterAll(() => t.close());

  const fieldsOf = (body: { errors: Violation[] }) => body.errors.map((e) => e.field);

  it('lists a body field with a NUL and the body fields its rules refuse, each once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      payload: { name: 'ab\u0000c', count: 0, email: 'not-an-email', address: { city: 'P' } },
    });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(body).sort()).toEqual(['address.city', 'count', 'email', 'name']);
    expect(body.errors.find((e: Violation) => e.field === 'name').message).toBe(
      'name must not contain NUL characters or unpaired UTF-16 surrogates',
    );
    expect(body.detail).toBe('4 fields failed validation: name, count, email, address.city');
  });

  it('lists a query filter with a NUL and a date that is not one', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org}?provider=%00&start_date=2026-13-45`,
      headers: { 'x-api-key': key },
    });
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res.json()).sort()).toEqual(['provider', 'start_date']);
  });

  it('lists a repeated parameter and an out-of-range one, the repeated one told only that', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org}?start_date=2026-01-01&start_date=bad&limit=-1`,
      headers: { 'x-api-key': key },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([
      { field: 'start_date', message: 'start_date must be given once, not repeated' },
      { field: 'limit', message: 'limit must not be less than 1' },
    ]);
  });

  it('still answers a NUL alone with that field alone', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      payload: { name: 'ab\u0000c', count: 1, email: 'a@b.co', address: { city: 'Paris' } },
    });
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res.json())).toEqual(['name']);
  });
});
