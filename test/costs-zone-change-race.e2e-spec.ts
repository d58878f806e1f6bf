import { aFocusRow } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, orgWithRows } from '#test/costs-harness';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { central, WAREHOUSE, type Warehouse } from '#warehouse';
import { CostsRepository } from '../apps/api/src/costs/costs.repository.js';

interface Body {
  summary: { total_cost: number; mtd_cost: number; date_range: { start: string; end: string } };
}

/**
 * A cost read that took the org's settings before a time-zone change and computed after it (its
 * profile read, a load slot or the warehouse slow) answers with the old zone's today, but must not
 * leave its result cached: the next read, in the new zone, computes afresh.
 */
describe('a time-zone change during a cost read', () => {
  // Mar 31, 20:00 UTC is Apr 1, 09:00 in Auckland: March's month to date is 0 there, 10 in UTC.
  const clock = new FakeClock(Date.parse('2026-03-31T20:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
  });

  afterAll(async () => {
    await t.close();
  });

  it('does not cache a result of the old zone, finished after the change, for the new one', async () => {
    const { org, headers } = await orgWithRows(t, (o) => [
      aFocusRow({ org: o, date: '2026-03-15', billedCost: 10 }),
    ]);
    await t.app
      .get<Warehouse>(WAREHOUSE)
      .execute(
        `UPDATE ${central('org_profiles')} SET default_timezone = 'Pacific/Auckland' WHERE org_slug = @org`,
        {
          org,
        },
      );
    const url = `/api/v1/costs/${org}/summary?start_date=2026-03-01&end_date=2026-03-31`;
    const get = async (): Promise<Body> => {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode).toBe(200);
      return res.json() as Body;
    };

    // The read's profile read answers (Auckland), then is held until the zone has changed.
    const repository = t.app.get(CostsRepository);
    const profile = repository.profile.bind(repository);
    let profileRead!: () => void;
    const read = new Promise<void>((resolve) => (profileRead = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(repository, 'profile').mockImplementationOnce(async (o) => {
      const row = await profile(o);
      profileRead();
      await held;
      return row;
    });
    const before = get();
    await read;
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/organizations/${org}/locale`,
      headers: rootHeaders,
      payload: { default_timezone: 'UTC' },
    });
    expect(put.statusCode).toBe(200);
    release();
    // Answered as of when it began: Auckland's April, no March cost this month.
    expect((await before).summary).toMatchObject({ total_cost: 10, mtd_cost: 0 });
    spy.mockRestore();

    // The same period in UTC: still March there, its month to date is 10.
    expect((await get()).summary).toMatchObject({
      total_cost: 10,
      mtd_cost: 10,
      date_range: { start: '2026-03-01', end: '2026-03-31' },
    });
  });
});
