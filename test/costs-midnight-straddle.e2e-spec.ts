import { CostContextService } from '../apps/api/src/costs/cost-context.service.js';
import { aFocusRow } from '#test/focus-rows';
import { CostCacheOptionsModule, FakeClock, orgWithRows } from '#test/costs-harness';
import { startTestApp, type TestApp } from '#test/test-app';

interface Body {
  cache_hit: boolean;
  summary: { total_cost: number; mtd_cost?: number };
}

/**
 * A result depends on the days it was computed against (month to date, run rates): it must not be
 * kept past them, even when the frame it was computed of was loaded later and lives longer.
 */
describe('a cost read that straddles midnight', () => {
  const clock = new FakeClock(Date.parse('2025-03-31T23:59:59Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000', RATE_LIMIT_WRITES_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
  });

  afterAll(async () => {
    await t.close();
  });

  it("does not keep a result computed against yesterday's days of a frame loaded today", async () => {
    const { org, headers } = await orgWithRows(t, (o) =>
      ['2025-02-10', '2025-03-05', '2025-03-20'].map((date) => aFocusRow({ org: o, date, billedCost: 10 })),
    );
    const get = async (path: string): Promise<Body> => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
      expect(res.statusCode).toBe(200);
      return res.json() as Body;
    };
    const march = '/summary?start_date=2025-03-01&end_date=2025-03-31';
    // A read of March begins on March 31 and is held up (a busy event loop) past midnight...
    const contexts = t.app.get(CostContextService);
    const context = contexts.context.bind(contexts);
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let begun!: () => void;
    const begin = new Promise<void>((resolve) => (begun = resolve));
    const spy = vi.spyOn(contexts, 'context').mockImplementationOnce(async (o) => {
      const ctx = await context(o);
      begun();
      await held;
      return ctx;
    });
    const lateRead = get(march);
    await begin;
    spy.mockRestore();
    // ...while a read on April 1 loads a frame that covers March, kept until April 2.
    clock.set('2025-04-01T00:00:01Z');
    await get('/summary?start_date=2025-02-01&end_date=2025-03-31');
    resume();
    // Answered as of March 31, when it was asked: March is the month to date.
    expect((await lateRead).summary.mtd_cost).toBe(20);
    // On April 1, March is over: its answer is that of a fresh read, not the late one's.
    const cached = await get(march);
    await t.app.inject({ method: 'POST', url: `/api/v1/costs/${org}/cache/invalidate`, headers });
    const fresh = await get(march);
    expect(fresh.cache_hit).toBe(false);
    expect(cached.summary).toEqual(fresh.summary);
  });
});
