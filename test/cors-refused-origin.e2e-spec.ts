import { startTestApp, type TestApp } from '#test/test-app';

const DASHBOARD = 'https://app.example.com';
const REFUSED = 'https://evil.example';
const PATH = '/api/v1/admin/bootstrap/status';

type Headers = Record<string, unknown>;
const corsHeaders = (headers: Headers) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));
const varies = (headers: Headers) => String(headers.vary).split(/\s*,\s*/);

/**
 * An origin CORS_ORIGINS does not list gets no CORS header at all, only `Vary: Origin` (so caches
 * keep its answers apart from the dashboard's): @fastify/cors sent it Access-Control-Allow-Credentials,
 * the exposed headers and, on a preflight, the methods, headers and max age it allows, leaving out
 * only Access-Control-Allow-Origin.
 */
describe('CORS for an origin that is not listed', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${DASHBOARD},http://localhost:3000` });
  });
  afterAll(() => t.close());

  const preflight = (origin: string) =>
    t.app.inject({
      method: 'OPTIONS',
      url: PATH,
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-api-key',
      },
    });

  it('answers its preflight without any CORS header, where the dashboard gets them all', async () => {
    const refused = await preflight(REFUSED);
    expect(refused.statusCode).toBe(204);
    expect(corsHeaders(refused.headers)).toEqual([]);
    expect(varies(refused.headers)).toContain('Origin');
    expect(refused.body).toBe('');

    const allowed = await preflight(DASHBOARD);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': DASHBOARD,
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    });
    expect(String(allowed.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('X-API-Key');
    expect(varies(allowed.headers)).toContain('Origin');
  });

  it.each([
    ['a success', 'GET', '/health', 200],
    ['an unknown path', 'GET', '/api/v1/no-such-route', 404],
    ['a method the path does not take', 'DELETE', '/health', 405],
    ['a missing key', 'GET', PATH, 401],
    ['a plain OPTIONS', 'OPTIONS', PATH, 204],
    ['a path the router refuses', 'GET', '/api/v1/%zz', 400],
  ] as const)('gives its actual request no CORS header on %s (%s %s)', async (_case, method, url, status) => {
    const refused = await t.app.inject({ method, url, headers: { origin: REFUSED } });
    expect(refused.statusCode).toBe(status);
    expect(corsHeaders(refused.headers)).toEqual([]);
    expect(varies(refused.headers)).toContain('Origin');

    const allowed = await t.app.inject({ method, url, headers: { origin: DASHBOARD } });
    expect(allowed.statusCode).toBe(status);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': DASHBOARD,
      'access-control-allow-credentials': 'true',
    });
    expect(String(allowed.headers['access-control-expose-headers'])).toContain('X-Request-ID');
  });
});
