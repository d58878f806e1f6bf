import { aFocusRow } from '#test/focus-rows';
import type pl from 'nodejs-polars';
import { costFrameOf } from '../testing/frame-of.js';
import { periodReadOnMarch10 } from '../testing/cost-days-of.js';
import { reconnectingBus } from '../testing/reconnecting-bus.js';
import { CostCache, type FramePeriod, PeriodRefusedError } from './cost-cache.js';

// A period too large to load is found so by a warehouse query (on BigQuery, billed in full): the
// refusal holds until the org's costs change, so it is kept as a frame of the period would be.

class FakeClock {
  constructor(public ms: number) {}
  now = () => this.ms;
}

const year = periodReadOnMarch10('2024-03-01', '2025-02-28');
const frame = costFrameOf([aFocusRow({ date: '2025-02-15', billedCost: 1 })]);

/** A load that counts its calls and refuses (or fails with `error`) every time. */
function refusingLoad(error: Error = new PeriodRefusedError('too many rows')) {
  const load = Object.assign(
    async (): Promise<pl.DataFrame> => {
      load.calls++;
      throw error;
    },
    { calls: 0 },
  );
  return load;
}

describe('CostCache: kept refusals', () => {
  it('answers a refused period again without loading it, until the frame would have expired', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T12:00:00Z'));
    const cache = new CostCache({ clock });
    const load = refusingLoad();
    await expect(cache.frame('org_a', year, load, 'costs')).rejects.toThrow('too many rows');
    await expect(cache.frame('org_a', year, load, 'costs')).rejects.toThrow('too many rows');
    expect(load.calls).toBe(1);
    // An operator sees them: one load refused, one read refused again from the kept refusal.
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 1, refused: 1, refusal_hits: 1 });
    expect(cache.stats('org_b').frames).toMatchObject({ refused: 0, refusal_hits: 0 });

    // A past period's frame lives until the next UTC midnight: so does its refusal.
    clock.ms = Date.parse('2025-03-10T23:59:59.999Z');
    await expect(cache.frame('org_a', year, load, 'costs')).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(1);
    clock.ms = Date.parse('2025-03-11T00:00:00.000Z');
    await expect(cache.frame('org_a', year, load, 'costs')).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(2);
  });

  it('keeps a live period’s refusal as briefly as its frame', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T12:00:00Z'));
    const cache = new CostCache({ clock, todayTtlMs: 60_000 });
    const live: FramePeriod = periodReadOnMarch10('2025-03-01', '2025-03-10');
    const load = refusingLoad();
    await expect(cache.frame('org_a', live, load)).rejects.toThrow(PeriodRefusedError);
    clock.ms += 59_999;
    await expect(cache.frame('org_a', live, load)).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(1);
    clock.ms += 1;
    await expect(cache.frame('org_a', live, load)).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(2);
  });

  it('forgets it when the org’s costs change or the period is refreshed, and keeps it per org and period', async () => {
    const cache = new CostCache({ clock: { now: () => Date.parse('2025-03-10T12:00:00Z') } });
    const load = refusingLoad();
    await expect(cache.frame('org_a', year, load)).rejects.toThrow(PeriodRefusedError);
    await cache.invalidateOrg('org_a');
    await expect(cache.frame('org_a', year, load)).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(2);

    cache.dropPeriod('org_a', year.start, year.end);
    await expect(cache.frame('org_a', year, load)).rejects.toThrow(PeriodRefusedError);
    expect(load.calls).toBe(3);

    // Another org, another period: each asks the warehouse itself.
    await expect(cache.frame('org_b', year, load)).rejects.toThrow(PeriodRefusedError);
    const shorter = periodReadOnMarch10('2025-02-01', '2025-02-28');
    expect((await cache.frame('org_a', shorter, async () => frame)).frame.df.height).toBe(1);
    expect(load.calls).toBe(4);
  });

  it('does not keep other failures, nor a refusal whose load raced with an invalidation', async () => {
    const cache = new CostCache({ clock: { now: () => Date.parse('2025-03-10T12:00:00Z') } });
    const failing = refusingLoad(new Error('warehouse unavailable'));
    await expect(cache.frame('org_a', year, failing)).rejects.toThrow('warehouse unavailable');
    await expect(cache.frame('org_a', year, failing)).rejects.toThrow('warehouse unavailable');
    expect(failing.calls).toBe(2);

    let refuse!: () => void;
    const racing = cache.frame(
      'org_b',
      year,
      () =>
        new Promise<pl.DataFrame>(
          (_resolve, reject) => (refuse = () => reject(new PeriodRefusedError('old'))),
        ),
    );
    await Promise.resolve();
    await cache.invalidateOrg('org_b');
    refuse();
    await expect(racing).rejects.toThrow('old');
    // The org's costs changed meanwhile: the period may fit now.
    expect((await cache.frame('org_b', year, async () => frame)).frame.df.height).toBe(1);
  });

  it('does not keep a refusal whose load raced with a bus reconnect, and tells the org’s settings then', async () => {
    const { bus, reconnect } = reconnectingBus();
    const cache = new CostCache({ clock: { now: () => Date.parse('2025-03-10T12:00:00Z') }, bus });
    const dropped: string[] = [];
    cache.onOrgDropped((org) => dropped.push(org));
    // org_b has only a kept refusal: an invalidation lost while cut off may concern it too.
    await expect(cache.frame('org_b', year, refusingLoad())).rejects.toThrow(PeriodRefusedError);
    // org_a has nothing cached, only a load under way, begun before the costs changed elsewhere.
    let refuse!: () => void;
    const racing = cache.frame(
      'org_a',
      year,
      () =>
        new Promise<pl.DataFrame>(
          (_resolve, reject) => (refuse = () => reject(new PeriodRefusedError('old'))),
        ),
    );
    await Promise.resolve();
    reconnect();
    refuse();
    await expect(racing).rejects.toThrow('old');
    expect(dropped.sort()).toEqual(['org_a', 'org_b']);
    // The invalidation lost meanwhile may have been the import that made the period fit.
    expect((await cache.frame('org_a', year, async () => frame)).frame.df.height).toBe(1);
  });
});
