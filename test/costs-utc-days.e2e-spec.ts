import { aFocusRow, writeFocusRows } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, orgWithRows } from '#test/costs-harness';
import { startTestApp, type TestApp } from '#test/test-app';
import { central, type Row, WAREHOUSE, type Warehouse } from '#warehouse';

interface Body {
  cache_hit: boolean;
  data: { date: string; total_cost: number }[] | null;
  summary: { total_cost: number; mtd_cost?: number; date_range: { start: string; end: string } };
}

/**
 * Cost rows are dated by their UTC day, an org's periods by its own calendar. The suite's clock
 * only moves forward: Auckland (UTC+13 in April) first, then Los Angeles (UTC-8 in December).
 */
describe('cost reads of an org off UTC, whose rows are dated by the UTC day', () => {
  const clock = new FakeClock(Date.parse('2026-04-01T20:00:00Z'));
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });

  afterAll(async () => {
    await t.close();
  });

  /** A new org in `timeZone` with `rows`; `get` reads its costs, `add` writes rows straight into the warehouse. */
  async function anOrgIn(timeZone: string, rows: { date: string; billedCost: number }[]) {
    const { org, headers } = await orgWithRows(t, (o) => rows.map((r) => aFocusRow({ org: o, ...r })));
    await warehouse.execute(
      `UPDATE ${central('org_profiles')} SET default_timezone = @tz WHERE org_slug = @org`,
      { org, tz: timeZone },
    );
    return {
      async get(path: string): Promise<Body> {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
        expect(res.statusCode).toBe(200);
        return res.json() as Body;
      },
      add: (more: { date: string; billedCost: number }[]) =>
        writeFocusRows(
          warehouse,
          t.config.orgDataset(org),
          more.map((r): Row => aFocusRow({ org, ...r })),
        ),
    };
  }

  it('shows an org east of UTC a new row of the running UTC day within a minute', async () => {
    clock.set('2026-04-01T20:00:00Z'); // Apr 2, 09:00 in Auckland
    const c = await anOrgIn('Pacific/Auckland', [{ date: '2026-04-01', billedCost: 10 }]);
    const apr1 = '/summary?start_date=2026-04-01&end_date=2026-04-01';
    expect((await c.get(apr1)).summary).toMatchObject({
      total_cost: 10,
      date_range: { start: '2026-04-01', end: '2026-04-01' },
    });
    await c.add([{ date: '2026-04-01', billedCost: 5 }]);
    clock.set('2026-04-01T20:00:59Z');
    expect(await c.get(apr1)).toMatchObject({ cache_hit: true, summary: { total_cost: 10 } });
    clock.set('2026-04-01T20:01:01Z');
    expect(await c.get(apr1)).toMatchObject({ cache_hit: false, summary: { total_cost: 15 } });
  });

  it('keeps a past range of an org east of UTC until the UTC midnight, which comes before its own', async () => {
    clock.set('2026-04-01T20:02:00Z');
    const c = await anOrgIn('Pacific/Auckland', [{ date: '2026-03-10', billedCost: 3 }]);
    const march = '/summary?start_date=2026-03-01&end_date=2026-03-31';
    expect((await c.get(march)).summary.total_cost).toBe(3);
    await c.add([{ date: '2026-03-11', billedCost: 2 }]);
    clock.set('2026-04-01T23:59:59.999Z');
    expect(await c.get(march)).toMatchObject({ cache_hit: true, summary: { total_cost: 3 } });
    // Auckland's midnight is 11:00Z; the UTC day's end comes first.
    clock.set('2026-04-02T00:00:00Z');
    expect(await c.get(march)).toMatchObject({ cache_hit: false, summary: { total_cost: 5 } });
  });

  it("reads the running UTC day's rows for an org west of UTC: asked for, by default, in the trend", async () => {
    clock.set('2026-12-06T03:09:00Z'); // Dec 5, 19:09 in Los Angeles
    const c = await anOrgIn('America/Los_Angeles', [
      { date: '2026-12-05', billedCost: 1 },
      { date: '2026-12-06', billedCost: 2 },
    ]);
    expect((await c.get('/summary?start_date=2026-12-06&end_date=2026-12-06')).summary).toMatchObject({
      total_cost: 2,
      date_range: { start: '2026-12-06', end: '2026-12-06' },
    });
    expect((await c.get('/summary')).summary).toMatchObject({
      total_cost: 3,
      mtd_cost: 3,
      date_range: { start: '2026-01-01', end: '2026-12-06' },
    });
    const trend = await c.get('/trend?days=2');
    expect(trend.data!.map((d) => [d.date, d.total_cost])).toEqual([
      ['2026-12-05', 1],
      ['2026-12-06', 2],
    ]);
    expect(trend.summary.date_range).toEqual({ start: '2026-12-05', end: '2026-12-06' });
  });

  it('ends the past frames and kept responses of an org west of UTC at the UTC midnight', async () => {
    clock.set('2026-12-06T12:00:00Z'); // Dec 6, 04:00 in Los Angeles; its midnight is 08:00Z
    // One org reads a past month only (a frame of the default period would serve it too).
    const past = await anOrgIn('America/Los_Angeles', [{ date: '2026-11-15', billedCost: 4 }]);
    const november = '/summary?start_date=2026-11-01&end_date=2026-11-30';
    expect((await past.get(november)).summary.total_cost).toBe(4);
    await past.add([{ date: '2026-11-16', billedCost: 1 }]);
    const current = await anOrgIn('America/Los_Angeles', [{ date: '2026-12-06', billedCost: 2 }]);
    clock.set('2026-12-06T23:59:30Z');
    await current.get('/summary');
    // Kept, and its result lives until 00:00:30Z.
    expect(await current.get('/summary')).toMatchObject({
      cache_hit: true,
      summary: { date_range: { end: '2026-12-06' } },
    });
    clock.set('2026-12-06T23:59:59.999Z');
    expect(await past.get(november)).toMatchObject({ cache_hit: true, summary: { total_cost: 4 } });

    // Still Dec 6 in Los Angeles, but Dec 7 in UTC: the default period reaches it.
    clock.set('2026-12-07T00:00:10Z');
    expect(await past.get(november)).toMatchObject({ cache_hit: false, summary: { total_cost: 5 } });
    expect((await current.get('/summary')).summary.date_range).toEqual({
      start: '2026-01-01',
      end: '2026-12-07',
    });
  });
});
