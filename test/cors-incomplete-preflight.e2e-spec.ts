import { startTestApp, type TestApp } from '#test/test-app';

const PROBLEM = 'application/problem+json; charset=utf-8';
const DASHBOARD = 'http://localhost:3000';
const PATH = '/api/v1/admin/bootstrap/status';

describe('OPTIONS that is not a complete CORS preflight', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers Access-Control-Request-Method without an Origin as a plain OPTIONS: 204 with Allow', async () => {
    // Not a CORS request (no Origin): @fastify/cors answered it a text/plain 400 "Invalid Preflight Request".
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: PATH,
      headers: { 'access-control-request-method': 'GET' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['x-request-id']).toBeDefined();
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('answers it with a 404 problem+json for an unknown path', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/no-such-route',
      headers: { 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', request_id: res.headers['x-request-id'] });
  });

  it('answers an empty Access-Control-Request-Method from the dashboard as a plain OPTIONS too', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: PATH,
      headers: { origin: DASHBOARD, 'access-control-request-method': '' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(res.body).toBe('');
  });

  it('still answers a complete preflight of the dashboard with the headers it sends', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: PATH,
      headers: {
        origin: DASHBOARD,
        'access-control-request-method': 'GET',
        'access-control-request-headers':
          'x-api-key, x-ca-root-key, x-user-id, x-request-id, idempotency-key',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(DASHBOARD);
    const allowed = String(res.headers['access-control-allow-headers'])
      .toLowerCase()
      .split(/\s*,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(['x-api-key', 'x-ca-root-key', 'x-user-id', 'x-request-id', 'idempotency-key']),
    );
  });
});
