import { orgWithRows, READ_ROUTES } from '#test/costs-harness';
import { aFocusRow } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { WAREHOUSE, type Warehouse } from '#warehouse';

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

  it('refuses a parameter whose percent-encoding does not decode, naming it; an encoded % is text', async () => {
    for (const bad of ['%FF', '%ZZ', '%C0%80', 'Soci%E9t%E9', '%E0%A4%A']) {
      const res = await get(`/summary?providers=${bad}&start_date=2025-01-01&end_date=x`);
      expect(res.status).toBe(422);
      // The other bad fields are named as well.
      expect(res.body.errors).toEqual([
        { field: 'providers', message: 'providers is not valid percent-encoded UTF-8' },
        expect.objectContaining({ field: 'end_date' }),
      ]);
    }
    const text = await get(
      '/summary?providers=%25FF,Soci%C3%A9t%C3%A9+X&start_date=2025-01-01&end_date=2025-01-31',
    );
    expect(text.status).toBe(200);
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
