import { orgWithRows, READ_ROUTES } from '#test/costs-harness';
import { aFocusRow } from '#test/focus-rows';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { CostsRepository } from '../apps/api/src/costs/costs.repository.js';
import { WAREHOUSE, type Warehouse } from '#warehouse';

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
