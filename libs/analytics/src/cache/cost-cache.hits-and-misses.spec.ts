import pl from 'nodejs-polars';
import { aFocusRow } from '#test/focus-rows';
import { costTotals } from '../aggregations/totals.js';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache } from './cost-cache.js';
import { MARCH_10_CLOCK as clock, periodReadOnMarch10 } from '../testing/cost-days-of.js';

const period = periodReadOnMarch10;
const frame = costFrameOf([
  aFocusRow({ date: '2025-01-15', billedCost: 1 }),
  aFocusRow({ date: '2025-02-15', billedCost: 2 }),
  aFocusRow({ date: '2025-03-05', billedCost: 4 }),
]);

describe('CostCache: hits and misses', () => {
  it('loads a frame on the first read and serves it from memory after', async () => {
    const cache = new CostCache({ clock });
    const load = vi.fn(async () => frame);
    const first = await cache.frame('org_a', period('2025-01-01', '2025-03-10'), load);
    const second = await cache.frame('org_a', period('2025-01-01', '2025-03-10'), load);
    expect([first.hit, second.hit]).toEqual([false, true]);
    expect(second.frame.df).toBe(first.frame.df);
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats().frames).toMatchObject({ hits: 1, misses: 1, loads: 1, size: 1, hit_rate: 0.5 });
    expect(cache.stats().frames.memory_bytes).toBeGreaterThan(0);
  });

  it('keeps orgs apart', async () => {
    const cache = new CostCache({ clock });
    const load = vi.fn(async () => frame);
    await cache.frame('org_a', period('2025-01-01', '2025-03-10'), load);
    const other = await cache.frame('org_b', period('2025-01-01', '2025-03-10'), load);
    expect(other.hit).toBe(false);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('serves a shorter period from a cached frame that covers it, narrowed to its days', async () => {
    const cache = new CostCache({ clock });
    await cache.frame('org_a', period('2025-01-01', '2025-03-10'), async () => frame);
    const load = vi.fn(async () => pl.DataFrame({}));
    const february = await cache.frame('org_a', period('2025-02-01', '2025-02-28'), load);
    expect(february.hit).toBe(true);
    expect(load).not.toHaveBeenCalled();
    expect(costTotals(february.frame.df).billed).toBe(2_000_000);
    expect(cache.stats().frames.covering_hits).toBe(1);
  });

  it('serves a read from a frame of more columns, never the reverse', async () => {
    const cache = new CostCache({ clock });
    const march = period('2025-03-01', '2025-03-10');
    const load = vi.fn(async () => frame);
    await cache.frame('org_a', march, load, 'costs');
    expect((await cache.frame('org_a', march, load, 'hierarchy')).hit).toBe(false);
    expect((await cache.frame('org_a', march, load, 'rows')).hit).toBe(false);
    expect((await cache.frame('org_b', march, load, 'hierarchy')).hit).toBe(false);
    const narrow = await cache.frame('org_b', march, load, 'costs');
    expect(narrow.hit).toBe(true);
    expect(narrow.frame.columns).toBe('hierarchy');
    expect(load).toHaveBeenCalledTimes(4);
  });

  it("frees a period's narrower frames once a wider one is cached, keeping their results", async () => {
    const cache = new CostCache({ clock });
    const march = period('2025-03-01', '2025-03-10');
    const { frame: narrow } = await cache.frame('org_a', march, async () => frame, 'costs');
    const key = { kind: 'summary', start: march.start, end: march.end, variant: '[]' };
    cache.setResult('org_a', key, { total: 7 }, narrow);
    await cache.frame('org_a', march, async () => frame, 'hierarchy');
    await cache.frame('org_a', period('2025-02-01', '2025-02-28'), async () => frame, 'costs');
    expect(cache.stats().frames.size).toBe(2);
    await cache.frame('org_a', march, async () => frame, 'rows');
    expect(cache.stats().frames.size).toBe(2);
    expect(cache.getResult('org_a', key)).toEqual({ total: 7 });
    expect((await cache.frame('org_a', march, async () => frame, 'costs')).frame.columns).toBe('rows');
  });

  it('keeps results per org, kind, period and variant, for as long as their frame lives', async () => {
    const cache = new CostCache({ clock });
    const { frame: f } = await cache.frame('org_a', period('2025-01-01', '2025-03-10'), async () => frame);
    const key = { kind: 'summary', start: f.start, end: f.end, variant: '[]' };
    expect(cache.getResult('org_a', key)).toBeUndefined();
    cache.setResult('org_a', key, { total: 7 }, f);
    expect(cache.getResult('org_a', key)).toEqual({ total: 7 });
    expect(cache.getResult('org_b', key)).toBeUndefined();
    expect(cache.getResult('org_a', { ...key, variant: '["aws"]' })).toBeUndefined();
    expect(cache.stats().results).toMatchObject({ hits: 1, misses: 3, size: 1 });
    expect(cache.stats().results.memory_bytes).toBeGreaterThan(0);
  });

  it('drops one period on a forced refresh, whatever its column set, leaving the others', async () => {
    const cache = new CostCache({ clock });
    const { frame: f } = await cache.frame(
      'org_a',
      period('2025-01-01', '2025-03-10'),
      async () => frame,
      'costs',
    );
    await cache.frame('org_a', period('2025-03-01', '2025-03-10'), async () => frame, 'hierarchy');
    await cache.frame('org_a', period('2024-01-01', '2024-12-31'), async () => frame);
    cache.setResult('org_a', { kind: 'granular', start: f.start, end: f.end, variant: '' }, [1], f);
    expect(cache.dropPeriod('org_a', '2025-01-01', '2025-03-10')).toEqual({ frames: 1, results: 1 });
    expect(cache.stats().frames.size).toBe(2);
  });

  it('keeps neither a frame nor its results from a load that started before a forced refresh', async () => {
    const cache = new CostCache({ clock });
    let finish: (df: typeof frame) => void = () => undefined;
    const slow = cache.frame(
      'org_a',
      period('2025-01-01', '2025-03-10'),
      () => new Promise<typeof frame>((resolve) => (finish = resolve)),
      'costs',
    );
    await Promise.resolve();
    cache.dropPeriod('org_a', '2025-02-01', '2025-02-10');
    finish(frame);
    const { frame: stale } = await slow;
    cache.setResult('org_a', { kind: 'summary', start: stale.start, end: stale.end, variant: '' }, 1, stale);
    expect(cache.stats().frames.size).toBe(0);
    expect(cache.stats().results.size).toBe(0);
    // Later loads are kept as usual.
    await cache.frame('org_a', period('2025-01-01', '2025-03-10'), async () => frame, 'costs');
    expect(cache.stats().frames.size).toBe(1);
  });

  it('keeps no result computed from a frame a forced refresh dropped while it was computed', async () => {
    const cache = new CostCache({ clock });
    const quarter = period('2025-01-01', '2025-03-10');
    await cache.frame('org_a', quarter, async () => frame, 'costs');
    const { frame: held } = await cache.frame('org_a', quarter, async () => frame, 'costs');
    const { frame: narrowed } = await cache.frame(
      'org_a',
      period('2025-02-01', '2025-02-10'),
      async () => frame,
    );
    cache.dropPeriod('org_a', '2025-02-01', '2025-02-10');
    cache.setResult('org_a', { kind: 'summary', start: held.start, end: held.end, variant: '' }, 1, held);
    cache.setResult(
      'org_a',
      { kind: 'summary', start: narrowed.start, end: narrowed.end, variant: '' },
      2,
      narrowed,
    );
    expect(cache.stats().results.size).toBe(0);
  });

  it('drops on a forced refresh the longer frames that would serve the period, not the others', async () => {
    const cache = new CostCache({ clock });
    await cache.frame('org_a', period('2025-01-01', '2025-03-10'), async () => frame, 'costs');
    await cache.frame('org_a', period('2024-12-15', '2025-02-05'), async () => frame, 'costs');
    expect(
      (await cache.frame('org_a', period('2025-02-01', '2025-02-10'), async () => frame, 'costs')).hit,
    ).toBe(true);
    // The quarter's frame contains the refreshed period; the one to February 5 only overlaps it.
    expect(cache.dropPeriod('org_a', '2025-02-01', '2025-02-10').frames).toBe(1);
    expect(
      (await cache.frame('org_a', period('2025-02-01', '2025-02-10'), async () => frame, 'costs')).hit,
    ).toBe(false);
    expect(cache.stats().frames.size).toBe(2);
  });
});
