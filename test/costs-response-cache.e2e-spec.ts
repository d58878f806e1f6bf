import type { LightMyRequestResponse } from 'fastify';
import { CostCache, type LevelStats } from '#analytics';
import { hashApiKey } from '#platform';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { CostCacheOptionsModule, FakeClock, onTwoInstances, seededOrg, until } from '#test/costs-harness';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

type Headers = Record<string, string>;

const REDIS_URL = process.env.TEST_REDIS_URL;

/** The cost reads a kept response may answer, with filters and options of each kind. */
const READS = [
  '/summary',
  '/summary?start_date=2025-01-01&end_date=2025-02-15&providers=AWS,OpenAI',
  '/by-provider',
  '/by-service?service_categories=Compute',
  '/trend?granularity=weekly&days=60',
  '/total?start_date=2024-06-01&end_date=2025-03-01',
];

/** Fields that differ from one response to the next whoever answers. */
const VARYING = [
  'x-request-id',
  'date',
  'x-ratelimit-remaining-reads',
  'x-ratelimit-reset-reads',
  'x-process-time',
  // query_time_ms has as many digits as it takes.
  'content-length',
];

function costs(t: TestApp, org: string) {
  const get = (path: string, headers: Headers) =>
    t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
  return {
    get,
    async responses(): Promise<LevelStats> {
      const res = await get('/cache/stats', rootHeaders);
      expect(res.statusCode).toBe(200);
      return (res.json() as { responses: LevelStats }).responses;
    },
  };
}

function comparable(res: LightMyRequestResponse) {
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VARYING.includes(k)));
  const body = res.json() as Record<string, unknown>;
  expect(typeof body.query_time_ms).toBe('number');
  return { status: res.statusCode, headers, body: { ...body, query_time_ms: 0 } };
}

describe('kept cost responses through the real app', () => {
  const clock = new FakeClock(Date.parse('2025-03-10T12:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      // Results that include today live two hours, so only the midnight rule can end a kept response.
      { imports: [CostCacheOptionsModule.with({ clock, todayTtlMs: 2 * 3600_000 })] },
    );
  });

  afterAll(async () => {
    await t.close();
  });

  beforeEach(() => clock.set('2025-03-10T12:00:00Z'));

  it('answers a repeated read itself, with what Nest answers for a cached result', async () => {
    const { org, headers } = await seededOrg(t);
    const c = costs(t, org);
    for (const path of READS) {
      const first = await c.get(path, headers);
      expect(first.statusCode).toBe(200);
      const before = await c.responses();
      const kept = await c.get(path, headers);
      expect((await c.responses()).hits).toBe(before.hits + 1);
      // The root key always takes Nest's path; the result is cached by now.
      const nest = await c.get(path, { ...rootHeaders });
      expect((await c.responses()).hits).toBe(before.hits + 1);
      expect(comparable(kept)).toEqual(comparable(nest));
      expect(kept.json()).toMatchObject({ cache_hit: true });
      expect(kept.headers['x-ratelimit-limit-reads']).toBe('100000');
      expect(kept.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('leaves every caller the guards would answer otherwise to them', async () => {
    const { org, headers } = await seededOrg(t);
    const warehouse = t.app.get<Warehouse>(WAREHOUSE);
    const other = await anOrgWithKey(warehouse);
    const readless = await anOrgWithKey(warehouse, { org, scopes: ['pipelines:execute'] });
    const c = costs(t, org);
    await c.get('/summary', headers);
    expect((await c.get('/summary', headers)).statusCode).toBe(200);
    const before = await c.responses();

    const refusals: [Headers, number, string][] = [
      [{}, 401, 'AUTH_REQUIRED'],
      [{ 'x-api-key': 'made_up_api_key_0123456789abcdef' }, 401, 'API_KEY_INVALID'],
      [{ 'x-api-key': other.key }, 403, 'ORG_FORBIDDEN'],
      [{ 'x-api-key': readless.key }, 403, 'INSUFFICIENT_SCOPE'],
      // A root key sent decides: a wrong one is refused, the org key beside it or not.
      [{ ...headers, 'x-ca-root-key': 'not-the-root-key' }, 403, 'ROOT_KEY_INVALID'],
    ];
    // Twice each: the second time the auth cache knows the key, as the kept response would need.
    for (const [h, status, code] of [...refusals, ...refusals]) {
      const res = await c.get('/summary', h);
      expect(res.statusCode).toBe(status);
      if (code) expect(res.json()).toMatchObject({ code });
    }
    expect((await c.get('/summary?start_date=2025-03-05&end_date=2025-03-01', headers)).statusCode).toBe(422);
    expect((await c.responses()).hits).toBe(before.hits);
  });

  it('stops answering for a key once it is revoked or past its grace period', async () => {
    const { org, headers: seeding } = await seededOrg(t);
    const c = costs(t, org);
    // The result computed and kept first: the expiring key's own reads are then the kept path,
    // quick enough for its short life even on a loaded machine (seeding inside it was not).
    await c.get('/summary', seeding);
    const expiresAt = Date.now() + 2_000;
    const expiring = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE), {
      org,
      expiresAt: new Date(expiresAt),
    });
    const headers = { 'x-api-key': expiring.key };
    // The first read authenticates the key (Nest's path), the second is answered kept.
    expect((await c.get('/summary', headers)).statusCode).toBe(200);
    const before = await c.responses();
    expect((await c.get('/summary', headers)).statusCode).toBe(200);
    expect((await c.responses()).hits).toBe(before.hits + 1);
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 100));
    const expired = await c.get('/summary', headers);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'API_KEY_EXPIRED' });

    const second = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE), { org });
    const h2 = { 'x-api-key': second.key };
    expect((await c.get('/summary', h2)).statusCode).toBe(200);
    const kept = await c.responses();
    expect((await c.get('/summary', h2)).statusCode).toBe(200);
    expect((await c.responses()).hits).toBe(kept.hits + 1);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/api-keys/${hashApiKey(second.key)}`,
      headers: rootHeaders,
    });
    expect(revoked.statusCode).toBe(200);
    expect((await c.get('/summary', h2)).statusCode).toBe(401);
    expect((await c.responses()).hits).toBe(kept.hits + 1);
  });

  it('drops a kept response once its result is invalidated, and keeps the new one', async () => {
    const { org, headers } = await seededOrg(t);
    const c = costs(t, org);
    await c.get('/by-service', headers);
    const kept = await c.get('/by-service', headers);
    expect(kept.json()).toMatchObject({ cache_hit: true });

    const invalidated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/costs/${org}/cache/invalidate`,
      headers,
    });
    expect(invalidated.statusCode).toBe(200);
    expect(invalidated.json()).toMatchObject({ invalidated: { responses: 1 } });
    const before = await c.responses();
    const fresh = await c.get('/by-service', headers);
    expect(fresh.json()).toMatchObject({ cache_hit: false });
    // Dropped at the invalidation, not found out of date by this read.
    const after = await c.responses();
    expect([after.hits, after.misses, after.size]).toEqual([before.hits, before.misses, before.size + 1]);
    expect((await c.get('/by-service', headers)).json()).toMatchObject({ cache_hit: true });
    expect((await c.responses()).hits).toBe(after.hits + 1);

    // What a completed import, or another instance's invalidation through the bus, does: the
    // results go, the org's settings stay.
    const droppedBefore = (await c.responses()).invalidations;
    await t.app.get(CostCache).invalidateOrg(org);
    expect((await c.responses()).invalidations).toBe(droppedBefore + 1);
    const again = await c.get('/by-service', headers);
    expect(again.json()).toMatchObject({ cache_hit: false });
    expect((await c.responses()).misses).toBe(after.misses);
  });

  it("drops only the invalidated org's kept responses, however many there are", async () => {
    const [a, b] = [await seededOrg(t), await seededOrg(t)];
    const [ca, cb] = [costs(t, a.org), costs(t, b.org)];
    for (const path of ['/by-service', '/by-provider', '/summary']) {
      await ca.get(path, a.headers);
      await cb.get(path, b.headers);
    }
    const invalidated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/costs/${a.org}/cache/invalidate`,
      headers: a.headers,
    });
    expect(invalidated.json()).toMatchObject({ invalidated: { responses: 3 } });
    // A second drop finds nothing left of a's, and b's are all still answered as kept.
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/costs/${a.org}/cache/invalidate`,
          headers: a.headers,
        })
      ).json(),
    ).toMatchObject({ invalidated: { responses: 0 } });
    const before = await cb.responses();
    for (const path of ['/by-service', '/by-provider', '/summary'])
      expect((await cb.get(path, b.headers)).json()).toMatchObject({ cache_hit: true });
    expect((await cb.responses()).hits).toBe(before.hits + 3);
  });

  it("ends a kept response at the org's midnight, when the default period moves on", async () => {
    const { org, headers } = await seededOrg(t);
    const c = costs(t, org);
    clock.set('2025-03-10T23:59:00Z');
    await c.get('/summary', headers);
    const kept = await c.get('/summary', headers);
    expect(kept.json()).toMatchObject({ summary: { date_range: { end: '2025-03-10' } } });

    const eve = await c.responses();

    clock.set('2025-03-11T00:00:30Z');
    // The stats count live responses only: the kept one is gone, as expired, before anyone asks.
    const before = await c.responses();
    expect(before.expirations).toBeGreaterThanOrEqual(eve.expirations + 1);
    expect(before.size).toBeLessThan(eve.size);
    const next = await c.get('/summary', headers);
    expect(next.json()).toMatchObject({ summary: { date_range: { end: '2025-03-11' } } });
    expect((await c.responses()).hits).toBe(before.hits);
  });

  it('keeps nothing of a listing, a forced refresh, an instance-wide read or a very long URL', async () => {
    const { org, headers } = await seededOrg(t);
    const c = costs(t, org);
    const before = await c.responses();
    // A URL over 2 kB: every spelling of a read would be an entry of its own.
    const long = `/summary?providers=${Array.from({ length: 20 }, (_, i) => `P${i}`.padEnd(120, 'x')).join(',')}`;
    for (const path of ['', '/cloud', '/trend-granular?clear_cache=true', '/cache/stats', long])
      for (let i = 0; i < 2; i++) expect((await c.get(path, headers)).statusCode).toBe(200);
    const after = await c.responses();
    expect([after.hits, after.size]).toEqual([before.hits, before.size]);
  });
});

describe('kept cost responses and the read limit', () => {
  it('counts against the same limit as Nest, with its headers, and refuses past it', async () => {
    const t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '6' });
    try {
      const { org, headers } = await seededOrg(t);
      const c = costs(t, org);
      const stats = async () =>
        (
          await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}/cache/stats`, headers: rootHeaders })
        ).json() as { responses: LevelStats; results: LevelStats };
      // The key's first request (Nest's answer, then kept) counts against the key as well.
      const first = await c.get('/summary', headers);
      expect(first.statusCode).toBe(200);
      expect(first.headers['x-ratelimit-remaining-reads']).toBe('5');
      const remaining: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await c.get('/summary', headers);
        expect(res.statusCode).toBe(200);
        remaining.push(String(res.headers['x-ratelimit-remaining-reads']));
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      const refused = await c.get('/summary', headers);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      const { responses, results } = await stats();
      expect(responses.hits).toBe(5);
      // Each answered read hit the result level once (Nest's first answer was its miss); the
      // refused ones, however many, count nowhere.
      expect(results).toMatchObject({ hits: 5, misses: 1 });
      for (let i = 0; i < 5; i++) expect((await c.get('/summary', headers)).statusCode).toBe(429);
      expect(await stats()).toMatchObject({ responses: { hits: 5 }, results: { hits: 5, misses: 1 } });
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!REDIS_URL)('kept cost responses across instances (Redis)', () => {
  it("stops answering on one instance once another invalidates the org's costs", async () => {
    await onTwoInstances(REDIS_URL!, async ({ a, b, org, headers, headersOnB: hb }) => {
      const cb = costs(b, org);
      await cb.get('/summary', hb);
      await cb.get('/summary', hb);
      const before = await cb.responses();
      expect((await cb.get('/summary', hb)).json()).toMatchObject({ cache_hit: true });
      expect((await cb.responses()).hits).toBe(before.hits + 1);

      const invalidated = await a.app.inject({
        method: 'POST',
        url: `/api/v1/costs/${org}/cache/invalidate`,
        headers,
      });
      expect(invalidated.statusCode).toBe(200);
      await until(() => b.app.get(CostCache).stats().results.invalidations > 0);
      // B's kept response went with its results, before anyone asked for it again.
      expect((await cb.responses()).invalidations).toBe(before.invalidations + 1);

      expect((await cb.get('/summary', hb)).json()).toMatchObject({ cache_hit: false });
      const after = await cb.responses();
      expect([after.hits, after.misses]).toEqual([before.hits + 1, before.misses]);
    });
  });
});
