import { orgWithRows } from '#test/costs-harness';
import { aFocusRow } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { CostsRepository } from '../apps/api/src/costs/costs.repository.js';
import { WAREHOUSE, type Warehouse } from '#warehouse';

const READ_ROUTES = [
  '',
  '/summary',
  '/by-provider',
  '/by-service',
  '/trend',
  '/subscriptions',
  '/cloud',
  '/genai',
  '/total',
];

/** What every cost route refuses before any work: bad dates and filters (422), keys (401/403), unknown orgs (404). */
describe('cost read validation and access', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
    ({ org, headers } = await orgWithRows(t, (org) => [aFocusRow({ org, date: '2025-01-01' })]));
  });

  afterAll(async () => {
    await t.close();
  });

  const get = async (path: string, h: Record<string, string> = headers) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers: h });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };

  it.each(READ_ROUTES)('refuses a start after the end on %s with 422', async (route) => {
    const { status, body } = await get(`${route}?start_date=2025-03-05&end_date=2025-03-01`);
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'start_date' }] });
  });

  it.each([...READ_ROUTES, '/trend-granular'])(
    'refuses a range over 730 days on %s with 422',
    async (route) => {
      const { status, body } = await get(`${route}?start_date=2023-01-01&end_date=2025-01-02`);
      expect(status).toBe(422);
      expect(body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'end_date' }] });
    },
  );

  it.each([...READ_ROUTES, '/trend-granular'])(
    'measures a range on %s by the days it reads (end capped at today): 730 at most, both ends included',
    async (route) => {
      const today = ((await get('/summary')).body.summary as { date_range: { end: string } }).date_range.end;
      const day = (offset: number) =>
        new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
      // An end far past today reads up to today only: 730 days, accepted (as days=730 is).
      const longest = await get(`${route}?start_date=${day(-729)}&end_date=${day(500)}`);
      expect(longest.status).toBe(200);
      const tooLong = await get(`${route}?start_date=${day(-730)}&end_date=${day(500)}`);
      expect(tooLong.status).toBe(422);
      expect(tooLong.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [
          {
            field: 'end_date',
            message:
              'a date range may cover at most 730 days, start_date and end_date included (an end_date after today counts up to today)',
          },
        ],
      });
      // 731 days between the dates given, both before today, is one day too many as well.
      expect((await get(`${route}?start_date=${day(-800)}&end_date=${day(-70)}`)).status).toBe(422);
      expect((await get(`${route}?start_date=${day(-800)}&end_date=${day(-71)}`)).status).toBe(200);
    },
  );

  it.each(READ_ROUTES)('refuses malformed filters on %s with 422, naming every bad field', async (route) => {
    const { status, body } = await get(
      `${route}?providers=AWS,,GCP&department_id=bad/id&hierarchy_path=/a/../b&start_date=2025-02-30&end_date=x`,
    );
    expect(status).toBe(422);
    const fields = (body.errors as { field: string }[]).map((e) => e.field);
    expect(new Set(fields)).toEqual(
      new Set(['providers', 'department_id', 'hierarchy_path', 'start_date', 'end_date']),
    );
  });

  it('tells a one-value parameter given twice that it was repeated; a list parameter takes repeats', async () => {
    const twice = await get(
      '/trend?start_date=2025-01-01&start_date=2025-01-02&end_date=2025-01-31&days=7&days=8',
    );
    expect(twice.status).toBe(422);
    expect(twice.body.errors).toEqual([
      { field: 'start_date', message: 'start_date must be given once, not repeated' },
      { field: 'days', message: 'days must be given once, not repeated' },
    ]);
    const listed = await get(
      '/summary?providers=AWS&providers=GCP&start_date=2025-01-01&end_date=2025-01-31',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual(
      (await get('/summary?providers=AWS,GCP&start_date=2025-01-01&end_date=2025-01-31')).body.data,
    );
  });

  it('refuses unknown and out-of-range parameters with 422', async () => {
    expect((await get('/trend-granular?providers=AWS')).status).toBe(422);
    expect((await get('/trend?granularity=hourly')).status).toBe(422);
    expect((await get('/trend?days=366')).status).toBe(422);
    expect((await get('?limit=10001')).status).toBe(422);
    for (const route of ['/cloud', '/genai', '/subscriptions'])
      expect((await get(`${route}?limit=10001`)).status).toBe(422);
    expect((await get('/cloud?offset=-1')).status).toBe(422);
    expect((await get('?offset=100000000000000000000')).status).toBe(422);
    const storage = await get('/trend?category=storage');
    expect(storage.status).toBe(422);
    expect(storage.body.errors).toEqual([
      { field: 'category', message: 'category must be one of: all, cloud, genai, subscription, saas, other' },
    ]);
    // A value of the wrong type is told so, not also that it is out of range.
    for (const days of ['7.5', 'week'])
      expect((await get(`/trend?days=${days}`)).body.errors).toEqual([
        { field: 'days', message: 'days must be an integer number' },
      ]);
    expect((await get('/trend?days=0')).body.errors).toEqual([
      { field: 'days', message: 'days must not be less than 1' },
    ]);
    // "No category", as the replaced service named it.
    const all = await get('/trend?category=all');
    expect(all.status).toBe(200);
    expect(all.body.data).toEqual((await get('/trend')).body.data);
    const maybe = await get('/trend-granular?clear_cache=maybe');
    expect(maybe.status).toBe(422);
    expect((maybe.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['clear_cache']);
  });

  it('reads the trend category in any case, every value alike, and trims it no more than granularity', async () => {
    const trend = async (query: string) => {
      const { status, body } = await get(`/trend?start_date=2024-12-01&end_date=2025-01-31&${query}`);
      expect(status, query).toBe(200);
      return { data: body.data, category: (body.summary as { category: string | null }).category };
    };
    for (const [spelling, canonical] of [
      ['Cloud', 'cloud'],
      ['CLOUD', 'cloud'],
      ['GenAI', 'genai'],
      ['Subscription', 'subscription'],
      ['SaaS', 'saas'],
      ['OTHER', 'other'],
    ] as const)
      expect(await trend(`category=${spelling}`), spelling).toEqual(await trend(`category=${canonical}`));
    expect((await trend('category=Cloud')).category).toBe('cloud');
    // The seeded row (2025-01-01) is AWS compute: cloud, and nothing else.
    expect((await trend('category=Cloud')).data).toHaveLength(1);
    expect((await trend('category=GENAI')).data).toHaveLength(0);
    for (const all of ['ALL', 'All', 'all', ''])
      expect(await trend(`category=${all}`), all).toEqual({ ...(await trend('')), category: null });
    for (const padded of ['%20cloud', 'cloud%20']) {
      const refused = await get(`/trend?category=${padded}`);
      expect(refused.status, padded).toBe(422);
      expect(refused.body.errors).toEqual([
        {
          field: 'category',
          message: 'category must be one of: all, cloud, genai, subscription, saas, other',
        },
      ]);
    }
    expect((await get('/trend?granularity=%20daily')).status).toBe(422);
  });

  it('reads the trend granularity in any case; empty is the default (daily)', async () => {
    const trend = async (query: string) => {
      const { status, body } = await get(`/trend?start_date=2024-12-01&end_date=2025-01-31&${query}`);
      expect(status, query).toBe(200);
      return body.data as unknown[];
    };
    for (const [spelling, canonical] of [
      ['Weekly', 'weekly'],
      ['MONTHLY', 'monthly'],
      ['Daily', 'daily'],
      ['', 'daily'],
    ] as const)
      expect(await trend(`granularity=${spelling}`), spelling).toEqual(
        await trend(`granularity=${canonical}`),
      );
    const refused = await get('/trend?granularity=hourly');
    expect(refused.body.errors).toEqual([
      { field: 'granularity', message: 'granularity must be one of: daily, weekly, monthly' },
    ]);
  });

  it.each(READ_ROUTES)(
    'refuses query parameters named after Object.prototype members on %s',
    async (route) => {
      const { status, body } = await get(`${route}?constructor=1&toString=1&valueOf=1`);
      expect(status).toBe(422);
      expect((body.errors as { field: string }[]).map((e) => e.field)).toEqual([
        'constructor',
        'toString',
        'valueOf',
      ]);
    },
  );

  it('takes a flag in every spelling the replaced service accepted; empty is its default (false)', async () => {
    const cacheHit = async (flag: string) => {
      const { status, body } = await get(`/trend-granular?clear_cache=${flag}`);
      expect(status, flag).toBe(200);
      return body.cache_hit;
    };
    for (const flag of ['true', 'True', 'yes', 'on', '1']) {
      await cacheHit('false');
      expect(await cacheHit(flag), flag).toBe(false);
    }
    for (const flag of ['false', 'No', 'off', '0', '']) {
      await cacheHit('false');
      expect(await cacheHit(flag), flag).toBe(true);
    }
  });

  it('refuses a missing key (401) and another org’s key (403); the root key may read any org', async () => {
    expect((await get('/summary', {})).status).toBe(401);
    const other = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    expect((await get('/summary', { 'x-api-key': other.key })).status).toBe(403);
    expect((await get('/summary', rootHeaders)).status).toBe(200);
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/costs/no_such_org/summary',
      headers: rootHeaders,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'ORG_NOT_FOUND' });
  });

  it('answers an org without cost data with zeros, not an error', async () => {
    const empty = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${empty.org}/summary`,
      headers: { 'x-api-key': empty.key },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      currency: 'USD',
      summary: { total_cost: 0, record_count: 0, providers: [] },
    });
  });
});

/** The granular trend has its own, lower limit per key (reference: 30/min), on top of the reads limit. */
describe('cost read rate limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000', RATE_LIMIT_HEAVY_READS_PER_MINUTE: '2' });
  });
  afterAll(() => t.close());

  it('refuses the granular trend past its limit while the other reads go on', async () => {
    const { org, key } = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const get = (path: string, apiKey = key) =>
      t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers: { 'x-api-key': apiKey } });

    // An ordinary read first: it does not count against the granular trend's limit.
    expect((await get('/cache/stats')).statusCode).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get('/trend-granular?days=30')).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await get('/trend-granular?days=30');
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 2 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get('/summary')).statusCode).toBe(200);
    expect((await get('/trend?days=30')).statusCode).toBe(200);
    // Per key: another org's key has its own count.
    const other = await anOrgWithKey(t.app.get<Warehouse>(WAREHOUSE));
    const theirs = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${other.org}/trend-granular?days=30`,
      headers: { 'x-api-key': other.key },
    });
    expect(theirs.statusCode).toBe(200);
  });
});

/** A period holding more FOCUS rows than COST_FRAME_MAX_ROWS is refused before they are loaded. */
describe('cost reads of a period too large to load', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ COST_FRAME_MAX_ROWS: '2', RATE_LIMIT_READS_PER_MINUTE: '100000' });
    ({ org, headers } = await orgWithRows(t, (org) =>
      ['2025-01-01', '2025-01-02', '2025-01-20'].map((date) => aFocusRow({ org, date })),
    ));
  });

  afterAll(async () => {
    await t.close();
  });

  const get = async (path: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };

  it.each([...READ_ROUTES, '/trend-granular'])(
    'answers %s with 422 naming start_date and the row count, and a shorter period as usual',
    async (route) => {
      const refused = await get(`${route}?start_date=2025-01-01&end_date=2025-01-31`);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [
          {
            field: 'start_date',
            message: expect.stringMatching(
              /holds more than 2 groups of cost rows \(one per day, provider, service, unit, source/,
            ),
          },
        ],
      });
      const shorter = await get(`${route}?start_date=2025-01-01&end_date=2025-01-10`);
      expect(shorter.status, JSON.stringify(shorter.body)).toBe(200);
    },
  );

  it('bounds the aggregations by their groups (day, provider, service, ...); the row listings past it page in the warehouse', async () => {
    // Ten FOCUS rows of one service on one day: one group.
    const busy = await orgWithRows(t, (org) =>
      Array.from({ length: 10 }, (_, i) => aFocusRow({ org, date: '2025-02-03', billedCost: i + 1 })),
    );
    const read = (path: string) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${busy.org}${path}?start_date=2025-02-01&end_date=2025-02-28`,
        headers: busy.headers,
      });
    for (const route of ['/summary', '/by-provider', '/by-service', '/trend', '/total', '/trend-granular']) {
      const res = await read(route);
      expect(res.statusCode, `${route}: ${res.body}`).toBe(200);
    }
    expect((await read('/summary')).json()).toMatchObject({ summary: { total_cost: 55, record_count: 10 } });
    for (const route of ['', '/cloud']) {
      const res = await read(route);
      expect(res.statusCode, `${route}: ${res.body}`).toBe(200);
      const body = res.json() as { data: { BilledCost: number }[]; pagination: { total: number } };
      expect(body.pagination.total).toBe(10);
      expect(body.data.map((row) => row.BilledCost)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it('refuses the same period again without asking the warehouse, until the org’s costs change', async () => {
    const loads = vi.spyOn(t.app.get(CostsRepository), 'loadFrame');
    try {
      const period = '?start_date=2024-12-01&end_date=2025-01-31';
      for (const route of ['/summary', '/by-provider', '/summary'])
        expect((await get(`${route}${period}`)).status).toBe(422);
      // One count of the period's rows (on BigQuery, a query billed in full), not one a request.
      expect(loads).toHaveBeenCalledTimes(1);
      const invalidated = await t.app.inject({
        method: 'POST',
        url: `/api/v1/costs/${org}/cache/invalidate`,
        headers,
      });
      expect(invalidated.statusCode).toBe(200);
      expect((await get(`/summary${period}`)).status).toBe(422);
      expect(loads).toHaveBeenCalledTimes(2);
    } finally {
      loads.mockRestore();
    }
  });

  it.each(['/trend', '/trend-granular'])(
    'answers %s without dates with 422 naming days, the field that set its window',
    async (route) => {
      // Rows within the last days, from the UTC day before yesterday back.
      const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
      const recent = await orgWithRows(t, (org) =>
        [2, 3, 4].map((ago) => aFocusRow({ org, date: day(ago) })),
      );
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${recent.org}${route}?days=10`,
        headers: recent.headers,
      });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [
          {
            field: 'days',
            message: expect.stringMatching(
              /holds more than 2 groups of cost rows \(one per day, provider, service, unit, source/,
            ),
          },
        ],
      });
    },
  );
});
