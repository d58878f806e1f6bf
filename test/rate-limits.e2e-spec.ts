import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { countLookups, rootHeaders, startTestApp, type TestApp } from '#test/test-app';

// Most tests here start apps of their own configuration (two at once for the shared limits): on a
// loaded 2-core machine those starts alone came near the default 30 s, and once past it.
const STARTS_APPS = { timeout: 90_000 };

const made = (i: number) => `made_up_key_${i}_${Math.random().toString(36).slice(2)}_0123456789`;
/** Three requests to `url`, each with a made-up key in `header`. */
const statuses = async (t: TestApp, url: string, header: string) => {
  const out: number[] = [];
  for (const i of [1, 2, 3])
    out.push((await t.app.inject({ method: 'GET', url, headers: { [header]: made(i) } })).statusCode);
  return out;
};

describe('rate limits', STARTS_APPS, () => {
  it('limits admin calls per root key with Retry-After in seconds', async () => {
    const t = await startTestApp({ RATE_LIMIT_ADMIN_PER_MINUTE: '2' });
    try {
      const call = () =>
        t.app.inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status', headers: rootHeaders });
      expect((await call()).statusCode).toBe(200);
      expect((await call()).statusCode).toBe(200);
      const limited = await call();
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // The refusing limit's headers, as on the admitted requests.
      expect(limited.headers).toMatchObject({
        'x-ratelimit-limit-admin': '2',
        'x-ratelimit-remaining-admin': '0',
        'x-ratelimit-reset-admin': limited.headers['retry-after-admin'],
      });
      expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  describe('counts made-up keys against the client IP, not a fresh limit per key', () => {
    let admin: TestApp;
    let reads: TestApp;
    beforeAll(async () => {
      admin = await startTestApp({ RATE_LIMIT_ADMIN_PER_MINUTE: '2', AUTH_FAILURES_PER_MINUTE: '2' });
      reads = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '2' });
    });
    afterAll(async () => {
      await admin?.close();
      await reads?.close();
    });

    it('holds root key guesses to the failures of their address, with a body or without', async () => {
      // Guessing the root key: refused, then limited like any unauthenticated caller.
      expect(await statuses(admin, '/api/v1/admin/bootstrap/status', 'x-ca-root-key')).toEqual([
        403, 403, 429,
      ]);
      // The same with a body: refused before it is read, and held to the failures its address may
      // have (the two above), so guesses meet one bound whatever the route.
      const withBody = [];
      for (const i of [4, 5, 6])
        withBody.push(
          (
            await admin.app.inject({
              method: 'POST',
              url: '/api/v1/admin/bootstrap',
              headers: { 'x-ca-root-key': made(i), 'content-type': 'application/json' },
              payload: '{}',
            })
          ).statusCode,
        );
      expect(withBody).toEqual([429, 429, 429]);
      // The real key is never held back by the guesses, with a body or without.
      const realPost = await admin.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: { ...rootHeaders, 'content-type': 'application/json' },
        payload: '{}',
      });
      expect([403, 429]).not.toContain(realPost.statusCode);
      // The real key keeps a limit of its own.
      const real = await admin.app.inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: rootHeaders,
      });
      expect(real.statusCode).toBe(200);
    });

    it('holds unknown org keys to the reads limit of their address', async () => {
      expect(await statuses(reads, '/api/v1/costs/acme_corp/summary', 'x-api-key')).toEqual([401, 401, 429]);
    });
  });
});

describe("counts an org key's first request against the key, not the client IP", STARTS_APPS, () => {
  it('admits the first requests of many valid keys from one IP past its limit, each key looked up once', async () => {
    const t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '2' });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      // A dashboard's server: one address, a key per org, none of them known to this instance yet.
      const keys = [];
      for (let i = 0; i < 5; i++) keys.push(await anOrgWithKey(warehouse));
      const lookups = countLookups(t);
      const read = (org: string, key: string) =>
        t.app.inject({
          method: 'GET',
          url: `/api/v1/organizations/${org}/api-key`,
          headers: { 'x-api-key': key },
        });
      const first = [];
      for (const k of keys) first.push(await read(k.org, k.key));
      expect(first.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
      // Counted against each key's own limit.
      for (const r of first) expect(r.headers['x-ratelimit-remaining-reads']).toBe('1');
      // One lookup a key: the rate limit's and the guard's are one.
      expect(lookups()).toBe(keys.length);
      // The address's own limit is untouched: made-up keys still meet it, from their first request.
      expect(await statuses(t, `/api/v1/organizations/${keys[0].org}/api-key`, 'x-api-key')).toEqual([
        401, 401, 429,
      ]);
      // And the keys keep theirs.
      expect((await read(keys[0].org, keys[0].key)).statusCode).toBe(200);
      expect((await read(keys[0].org, keys[0].key)).statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });
});

describe('with a Redis that does not answer', STARTS_APPS, () => {
  it('stays ready, reports it, and still enforces the rate limits on this instance', async () => {
    const rootKey = `unreachable_redis_root_${Date.now()}_padding_padding`;
    // Nothing listens on port 1: the connection is refused and retried in the background.
    const t = await startTestApp({
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_ADMIN_PER_MINUTE: '2',
      CA_ROOT_API_KEY: rootKey,
    });
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      // Told at once, not after a PING waited out the command timeout in the offline queue.
      expect(ready.json().checks.redis).toMatchObject({ status: 'failing', error: 'not connected' });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await t.app.inject({
              method: 'GET',
              url: '/api/v1/admin/bootstrap/status',
              headers: { 'x-ca-root-key': rootKey },
            })
          ).statusCode,
        );
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('rate limits shared through Redis', STARTS_APPS, () => {
  it('reports Redis in the readiness checks', async () => {
    const t = await startTestApp({ REDIS_URL: process.env.TEST_REDIS_URL as string });
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().checks.redis).toMatchObject({ status: 'ok' });
    } finally {
      await t.close();
    }
  });

  it('counts one limit across two app instances', async () => {
    // A root key of its own, so counters left in Redis by an earlier run cannot interfere.
    const rootKey = `rate_limit_root_${Date.now()}_${Math.random().toString(36).slice(2)}_padding`;
    const env = {
      RATE_LIMIT_ADMIN_PER_MINUTE: '3',
      REDIS_URL: process.env.TEST_REDIS_URL as string,
      CA_ROOT_API_KEY: rootKey,
    };
    const headers = { 'x-ca-root-key': rootKey };
    const [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    try {
      const statuses: number[] = [];
      for (const t of [a, b, a, b]) {
        statuses.push(
          (await t.app.inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status', headers })).statusCode,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
