import type { LightMyRequestResponse } from 'fastify';
import { aFocusRow, writeFocusRows } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, onTwoInstances, until } from '#test/costs-harness';
import { expectProblem, NO_LIMITS, onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import {
  CENTRAL_DATASET,
  central,
  WAREHOUSE,
  type Warehouse,
  WarehouseError,
  WarehouseErrorCode,
} from '#warehouse';
import { OrgProfileRepository } from '../apps/api/src/organizations/org-profile.repository.js';

/**
 * The fiscal-year start month of the locale endpoints (O10/O11): read, changed alone or with the
 * other fields in one write, refused unless an integer 1-12, audited, and applied to the org's
 * fiscal cost periods at once, whatever the cost caches held.
 */
describe('the fiscal-year start month of an org', () => {
  // A Sunday in March 2024, noon UTC: the fiscal year to date starts on Jan 1st, Apr 1st 2023 or Oct 1st 2023.
  const clock = new FakeClock(Date.parse('2024-03-10T12:00:00Z'));
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS, { imports: [CostCacheOptionsModule.with({ clock })] });
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });

  afterAll(async () => {
    await t.close();
  });

  const send = (method: 'GET' | 'PUT', url: string, key: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { 'x-api-key': key },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const locale = (org: string) => `/api/v1/organizations/${org}/locale`;
  const profileRow = async (org: string) =>
    (await warehouse.query(`SELECT * FROM ${central('org_profiles')} WHERE org_slug = @org`, { org }))[0]!;
  const refusedFields = (res: LightMyRequestResponse) => {
    expectProblem(res, 422, 'VALIDATION_FAILED');
    return [...new Set(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field))].sort();
  };

  it('is January for a new org; a change of it alone leaves the currency, zone, country and language', async () => {
    const { org, key } = await onboardOrg(t, 'fy', 'Fiscal Year Co');
    expect((await send('GET', locale(org), key)).json()).toMatchObject({ fiscal_year_start_month: 1 });
    await send('PUT', locale(org), key, { default_currency: 'EUR', default_timezone: 'Asia/Tokyo' });
    // A country and a language of the org's own (a profile the replaced system wrote): a currency
    // change re-derives them, a fiscal-year change must not.
    await warehouse.execute(
      `UPDATE ${central('org_profiles')} SET default_country = 'BE', default_language = 'fr' WHERE org_slug = @org`,
      { org },
    );
    const before = (await send('GET', locale(org), key)).json<Record<string, unknown>>();

    const put = await send('PUT', locale(org), key, { fiscal_year_start_month: 4 });
    expect(put.statusCode, put.body).toBe(200);
    const expected = { ...before, fiscal_year_start_month: 4 };
    expect(put.json()).toEqual(expected);
    expect((await send('GET', locale(org), key)).json()).toEqual(expected);
    expect(await profileRow(org)).toMatchObject({
      default_currency: 'EUR',
      default_country: 'BE',
      default_language: 'fr',
      default_timezone: 'Asia/Tokyo',
    });
    expect(Number((await profileRow(org)).fiscal_year_start_month)).toBe(4);

    const logs = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-logs/${org}?status=SUCCESS`,
      headers: rootHeaders,
    });
    expect(logs.json().logs[0]).toMatchObject({
      action: 'UPDATE',
      resource_type: 'ORGANIZATION',
      resource_id: org,
      api_key_id: expect.any(String),
      details: {
        field: 'locale',
        updated_fields: ['fiscal_year_start_month'],
        before: { default_currency: 'EUR', default_timezone: 'Asia/Tokyo', fiscal_year_start_month: 1 },
        after: { default_currency: 'EUR', default_timezone: 'Asia/Tokyo', fiscal_year_start_month: 4 },
      },
    });
  });

  it('refuses anything but an integer from 1 to 12, naming the field, and writes nothing', async () => {
    const { org, key } = await onboardOrg(t, 'fy', 'Fiscal Year Co');
    for (const month of [0, 13, -1, '4', 4.5, true, [4], { month: 4 }]) {
      const res = await send('PUT', locale(org), key, { fiscal_year_start_month: month });
      expect({ month, fields: refusedFields(res) }).toEqual({ month, fields: ['fiscal_year_start_month'] });
    }
    // Beside a good field: the request is refused whole, so the currency is not written either.
    const mixed = await send('PUT', locale(org), key, {
      default_currency: 'GBP',
      fiscal_year_start_month: 13,
    });
    expect(refusedFields(mixed)).toEqual(['fiscal_year_start_month']);
    // No field (null is as absent): each of the three is named as the one to give.
    const all = ['default_currency', 'default_timezone', 'fiscal_year_start_month'];
    expect(refusedFields(await send('PUT', locale(org), key, {}))).toEqual(all);
    expect(refusedFields(await send('PUT', locale(org), key, { fiscal_year_start_month: null }))).toEqual(
      all,
    );
    expect((await send('GET', locale(org), key)).json()).toMatchObject({
      default_currency: 'USD',
      fiscal_year_start_month: 1,
    });
    // The bounds themselves are months.
    for (const month of [12, 1])
      expect((await send('PUT', locale(org), key, { fiscal_year_start_month: month })).json()).toMatchObject({
        fiscal_year_start_month: month,
      });
  });

  it('writes it with the other fields in one statement: all of them, or none when the write fails', async () => {
    const { org, key } = await onboardOrg(t, 'fy', 'Fiscal Year Co');
    const body = { default_currency: 'GBP', default_timezone: 'Europe/London', fiscal_year_start_month: 7 };
    const update = vi
      .spyOn(t.app.get(OrgProfileRepository), 'update')
      .mockRejectedValueOnce(new WarehouseError(WarehouseErrorCode.Unavailable, 'backendError'));
    try {
      expect((await send('PUT', locale(org), key, body)).statusCode).toBe(503);
    } finally {
      update.mockRestore();
    }
    expect((await send('GET', locale(org), key)).json()).toMatchObject({
      default_currency: 'USD',
      default_timezone: 'UTC',
      fiscal_year_start_month: 1,
    });
    const failed = await warehouse.query<{ details: unknown }>(
      `SELECT details FROM \`${CENTRAL_DATASET}.org_audit_logs\` WHERE org_slug = @org AND status = 'FAILURE'`,
      { org },
    );
    expect(failed.map((f) => f.details)).toMatchObject([{ field: 'locale', requested: body }]);

    expect((await send('PUT', locale(org), key, body)).json()).toMatchObject({
      default_currency: 'GBP',
      default_country: 'GB',
      default_language: 'en',
      default_timezone: 'Europe/London',
      fiscal_year_start_month: 7,
    });
  });

  it('is in the OpenAPI document: an integer 1-12 the PUT may take and the GET answers', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const schemaOf = (ref: string) => doc.components.schemas[ref.split('/').pop()!];
    const put = doc.paths['/api/v1/organizations/{org}/locale'].put;
    const request = schemaOf(put.requestBody.content['application/json'].schema.$ref);
    const response = schemaOf(put.responses['200'].content['application/json'].schema.$ref);
    const month = { type: 'integer', minimum: 1, maximum: 12 };
    expect(request.properties.fiscal_year_start_month).toMatchObject(month);
    expect(request.required ?? []).not.toContain('fiscal_year_start_month');
    expect(response.properties.fiscal_year_start_month).toMatchObject(month);
    expect(response.required).toContain('fiscal_year_start_month');
  });

  it("moves the org's fiscal year to date at once, though the read before was cached and kept", async () => {
    const { org, key } = await onboardOrg(t, 'fy', 'Fiscal Year Co');
    await writeFocusRows(warehouse, t.config.orgDataset(org), [
      aFocusRow({ org, date: '2023-04-01', billedCost: 7 }),
      aFocusRow({ org, date: '2023-10-01', billedCost: 4 }),
      aFocusRow({ org, date: '2024-01-15', billedCost: 2 }),
      aFocusRow({ org, date: '2024-03-01', billedCost: 10 }),
    ]);
    // No dates: the default period, the fiscal year to date.
    const summary = async () => {
      const res = await send('GET', `/api/v1/costs/${org}/summary`, key);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ cache_hit: boolean; summary: Record<string, unknown> }>();
    };
    const fiscalYearToDate = (start: string, total: number, rows: number) => ({
      total_cost: total,
      record_count: rows,
      date_range: { start, end: '2024-03-10' },
    });
    const change = async (month: number) => {
      const res = await send('PUT', locale(org), key, { fiscal_year_start_month: month });
      expect(res.statusCode, res.body).toBe(200);
    };

    expect((await summary()).summary).toMatchObject(fiscalYearToDate('2024-01-01', 12, 2));
    // Cached: the settings, the result and the response itself (answered before Nest's router).
    expect(await summary()).toMatchObject({ cache_hit: true });

    await change(4);
    expect(await summary()).toMatchObject({
      cache_hit: false,
      summary: fiscalYearToDate('2023-04-01', 23, 4),
    });
    expect(await summary()).toMatchObject({ cache_hit: true });
    await change(10);
    expect((await summary()).summary).toMatchObject(fiscalYearToDate('2023-10-01', 16, 3));
    // Back to January: the result cached for that period before went with the first change.
    await change(1);
    expect(await summary()).toMatchObject({
      cache_hit: false,
      summary: fiscalYearToDate('2024-01-01', 12, 2),
    });
    // /total reads the same default period.
    const total = await send('GET', `/api/v1/costs/${org}/total`, key);
    expect(total.json().total).toMatchObject({ total_billed_cost: 12, record_count: 2 });
  });
});

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)('a fiscal-year change with instances sharing Redis', () => {
  /** The first day of the fiscal year starting in `month` that `today` falls in. */
  const fiscalYearStart = (today: string, month: number) => {
    const [year, current] = today.split('-').map(Number) as [number, number];
    return `${current >= month ? year : year - 1}-${String(month).padStart(2, '0')}-01`;
  };

  it("reaches the other instance's cost caches: its next read is of the new fiscal year", async () => {
    await onTwoInstances(REDIS_URL!, async ({ a, b, org, headers, headersOnB }) => {
      const onB = async () => {
        const res = await b.app.inject({
          method: 'GET',
          url: `/api/v1/costs/${org}/summary`,
          headers: headersOnB,
        });
        expect(res.statusCode, res.body).toBe(200);
        return res.json<{ cache_hit: boolean; summary: { date_range: { start: string; end: string } } }>();
      };
      const { end } = (await onB()).summary.date_range;
      expect(await onB()).toMatchObject({
        cache_hit: true,
        summary: { date_range: { start: `${end.slice(0, 4)}-01-01` } },
      });
      // The instances share one warehouse in production (here each has its own): b's copy of the
      // profile changes as a's request writes it. b's caches still hold January.
      await b.app
        .get<Warehouse>(WAREHOUSE)
        .execute(`UPDATE ${central('org_profiles')} SET fiscal_year_start_month = 4 WHERE org_slug = @org`, {
          org,
        });
      expect((await onB()).cache_hit).toBe(true);

      const put = await a.app.inject({
        method: 'PUT',
        url: `/api/v1/organizations/${org}/locale`,
        headers,
        payload: { fiscal_year_start_month: 4 },
      });
      expect(put.statusCode, put.body).toBe(200);
      const expected = fiscalYearStart(end, 4);
      await until(async () => (await onB()).summary.date_range.start === expected);
      expect((await onB()).summary.date_range.start).toBe(expected);
    });
    // Two app instances started and seeded: well past the default test timeout on a busy machine.
  }, 120_000);
});
