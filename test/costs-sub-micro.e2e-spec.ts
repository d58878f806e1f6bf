import { orgWithRows } from '#test/costs-harness';
import { aFocusRow } from '#test/focus-rows';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * Costs finer than a micro-unit (GenAI per-token line items), through the real warehouse: each
 * row's micro-units and the nano-units their rounding left out are summed together, so a sum is
 * exact to the cent however many such rows there are, and a listed row keeps its 9 decimals.
 */
describe('costs finer than a micro-unit', () => {
  let t: TestApp;
  let org: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
    ({ org, headers } = await orgWithRows(t, (org) => [
      ...Array.from({ length: 30_000 }, () =>
        aFocusRow({ org, date: '2025-07-15', provider: 'OpenAI', serviceName: 'GPT', billedCost: 0.0000014 }),
      ),
      aFocusRow({ org, date: '2025-07-16', provider: 'OpenAI', serviceName: 'GPT', billedCost: 0.1234567 }),
    ]));
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  const get = async (path: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json() as Record<string, unknown>;
  };

  it('sums 30,000 line items of 0.0000014 to 0.04 (0.042), not 0.03 (30,000 rounded micro-units)', async () => {
    const trend = await get('/trend?start_date=2025-07-15&end_date=2025-07-16');
    expect(trend.data).toEqual([
      expect.objectContaining({ date: '2025-07-15', total_cost: 0.04, record_count: 30_000 }),
      expect.objectContaining({ date: '2025-07-16', total_cost: 0.12, record_count: 1 }),
    ]);
    // 0.042 + 0.1234567 = 0.1654567
    const summary = await get('/summary?start_date=2025-07-15&end_date=2025-07-16');
    expect(summary.summary).toMatchObject({ total_cost: 0.17, record_count: 30_001 });
    const byProvider = await get('/by-provider?start_date=2025-07-15&end_date=2025-07-15');
    expect(byProvider.data).toEqual([expect.objectContaining({ provider: 'OpenAI', total_cost: 0.04 })]);
  });

  it('lists a row with its 9 decimals', async () => {
    const rows = await get('?start_date=2025-07-16&end_date=2025-07-16');
    expect(rows.data).toEqual([expect.objectContaining({ BilledCost: 0.1234567 })]);
  });
});

/**
 * The other end of the range: a day of one service past 9.2 trillion currency units (2^63
 * micro-units; the import caps a row at 1e12, so ten rows get there) is summed in floating point,
 * to a fraction of a cent, where the warehouse's INT64 sum failed every read of its periods.
 */
describe('a day of one service past the 64-bit range of micro-units', () => {
  let t: TestApp;

  afterAll(async () => {
    await t?.close();
  });

  it('answers every aggregation of its period, to the cent', async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
    const { org, headers } = await orgWithRows(t, (org) => [
      ...Array.from({ length: 10 }, () =>
        aFocusRow({ org, date: '2025-08-01', billedCost: 999_999_999_999.5 }),
      ),
      aFocusRow({ org, date: '2025-08-02', billedCost: 0.25 }),
    ]);
    const period = 'start_date=2025-08-01&end_date=2025-08-31';
    for (const route of ['/summary', '/by-provider', '/by-service', '/trend', '/total', '/trend-granular']) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${org}${route}?${period}`,
        headers,
      });
      expect(res.statusCode, `${route}: ${res.body}`).toBe(200);
    }
    const summary = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${org}/summary?${period}`,
      headers,
    });
    expect(summary.json()).toMatchObject({ summary: { total_cost: 9_999_999_999_995.25, record_count: 11 } });
  }, 60_000);
});
