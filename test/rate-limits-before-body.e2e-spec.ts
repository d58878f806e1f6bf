import http from 'node:http';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { listenOnLoopback, startTestApp, type TestApp } from '#test/test-app';

/** A PUT of `body` to the org's locale with its key, as `t.app.inject` sends it. */
const putLocale = (t: TestApp, org: string, key: string, body: string) =>
  t.app.inject({
    method: 'PUT',
    url: `/api/v1/organizations/${org}/locale`,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    payload: body,
  });

describe('a write its rate limit refuses', { timeout: 90_000 }, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '1' });
  });
  afterAll(() => t?.close());

  it('is refused before its body is parsed, a malformed one included', async () => {
    const { org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    expect((await putLocale(t, org, key, '{"currency":"EUR"}')).statusCode).not.toBe(429);
    // Malformed: a 400 had it been parsed. A refused request must cost no parse of its body.
    const refused = await putLocale(t, org, key, '{"currency":');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['x-ratelimit-remaining-writes']).toBe('0');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('is answered without waiting for its body, and its connection closed', async () => {
    const { org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    expect((await putLocale(t, org, key, '{"currency":"EUR"}')).statusCode).not.toBe(429);
    const port = await listenOnLoopback(t.app);
    // Announces 10 MB and sends 1 KB of it: had the body been read first, no answer would come.
    const answer = await new Promise<{ status?: number; connection?: string }>((resolve) => {
      const req = http.request({
        port,
        host: '127.0.0.1',
        method: 'PUT',
        path: `/api/v1/organizations/${org}/locale`,
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          'content-length': String(10 * 1024 * 1024 - 1024),
        },
      });
      const timer = setTimeout(() => resolve({}), 5_000);
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        resolve({ status: res.statusCode, connection: res.headers.connection });
        req.destroy();
      });
      // The server may close the connection while the rest is being written: no answer then.
      req.on('error', () => resolve({}));
      req.write(`{"pad":"${'x'.repeat(1024)}`);
    });
    expect(answer).toEqual({ status: 429, connection: 'close' });
  });
});
