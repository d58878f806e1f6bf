import { aFocusRow } from '#test/focus-rows';
import type pl from 'nodejs-polars';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache, type FramePeriod } from './cost-cache.js';
import { MARCH_10_CLOCK as clock, periodReadOnMarch10 } from '../testing/cost-days-of.js';

const frame = costFrameOf([aFocusRow({ date: '2025-03-05', billedCost: 1 })]);
/** The first n one-day periods of March, distinct frames that cover none of the others. */
const days = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const day = `2025-03-0${i + 1}`;
    return periodReadOnMarch10(day, day);
  });
const [first, second] = days(2) as [FramePeriod, FramePeriod];
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Warehouse loads that end when told, counting how many run at once. */
function gatedLoads() {
  const gates: (() => void)[] = [];
  const state = { running: 0, peak: 0, started: 0 };
  const load = () =>
    new Promise<pl.DataFrame>((resolve) => {
      state.started++;
      state.peak = Math.max(state.peak, ++state.running);
      gates.push(() => {
        state.running--;
        resolve(frame);
      });
    });
  /** Ends the loads running now. */
  const release = async () => {
    for (const end of gates.splice(0)) end();
    await settle();
  };
  return { load, state, release };
}

describe('CostCache: frame loads running at once (COST_FRAME_LOADS_MAX)', () => {
  it("runs at most its bound of loads, leaves one org's burst a slot short, and counts those that waited", async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 3 });
    const a = gatedLoads();
    const b = gatedLoads();
    const reads = days(6).map((period) => cache.frame('org_a', period, a.load));
    await settle();
    // Two of org_a's six start; the third slot stays free for another org, whose read starts at once.
    expect(a.state.started).toBe(2);
    const other = cache.frame('org_b', first, b.load);
    await settle();
    expect(b.state.started).toBe(1);
    await b.release();
    expect((await other).hit).toBe(false);
    while (a.state.started < 6 || a.state.running > 0) await a.release();
    expect((await Promise.all(reads)).every((r) => r.frame.df === frame)).toBe(true);
    expect(a.state.peak).toBe(2);
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 6, waited: 4, size: 6 });
    expect(cache.stats('org_b').frames).toMatchObject({ loads: 1, waited: 0 });
    expect(cache.stats().frames.waited).toBe(4);
  });

  it('keeps the frame of a load that waited through an invalidation: its query came after it', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const before = cache.frame('org_a', first, gated.load);
    const waiting = cache.frame('org_a', second, gated.load);
    await settle();
    expect(gated.state.started).toBe(1);
    await cache.invalidateOrg('org_a');
    await gated.release();
    await before;
    await gated.release();
    await waiting;
    // The load under way at the invalidation may hold the old costs: not kept. The one that waited is.
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 2, waited: 1, size: 1 });
    const loadAgain = vi.fn(async () => frame);
    expect((await cache.frame('org_a', second, loadAgain)).hit).toBe(true);
    expect((await cache.frame('org_a', first, loadAgain)).hit).toBe(false);
    expect(loadAgain).toHaveBeenCalledTimes(1);
  });
});

describe('CostCache: a load still waiting for its slot at an invalidation', () => {
  it('is shared by the reads after it (its query comes after the invalidation): no second query', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const reads = [cache.frame('org_a', first, gated.load), cache.frame('org_a', second, gated.load)];
    await settle();
    await cache.invalidateOrg('org_a');
    cache.dropPeriod('org_a', second.start, second.end);
    reads.push(cache.frame('org_a', second, gated.load));
    for (let i = 0; i < 3; i++) await gated.release();
    await Promise.all(reads);
    expect(gated.state.started).toBe(2);
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 2, coalesced: 1, waited: 1, size: 1 });
    expect((await cache.frame('org_a', second, gated.load)).hit).toBe(true);
  });

  it('is forgotten once it started, as every load under way', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const reads = [cache.frame('org_a', first, gated.load)];
    await settle();
    await cache.invalidateOrg('org_a');
    reads.push(cache.frame('org_a', first, gated.load));
    for (let i = 0; i < 2; i++) await gated.release();
    await Promise.all(reads);
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 2, coalesced: 0, waited: 1, size: 1 });
  });
});

describe('CostCache: a load that waited for its slot', () => {
  it('is served by a frame cached meanwhile that covers its period, without a query of its own', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const month = cache.frame('org_a', periodReadOnMarch10('2025-03-01', '2025-03-09'), gated.load);
    const dayLoad = vi.fn(gated.load);
    const waiting = cache.frame('org_a', first, dayLoad);
    await settle();
    await gated.release();
    await month;
    // Ends a query of the day's own, had it started one.
    await gated.release();
    const served = await waiting;
    expect(dayLoad).not.toHaveBeenCalled();
    expect(served).toMatchObject({ hit: true, frame: { start: first.start, end: first.end } });
    expect(cache.stats('org_a').frames).toMatchObject({ loads: 1, waited: 1, covering_hits: 1 });
  });
});

describe('CostCache: the read whose load found its frame cached after waiting', () => {
  it('counts as a hit, not a miss: it answers hit, and covering_hits counts hits', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const month = cache.frame('org_a', periodReadOnMarch10('2025-03-01', '2025-03-09'), gated.load);
    const waiting = cache.frame('org_a', first, gated.load);
    await settle();
    await gated.release();
    await month;
    expect((await waiting).hit).toBe(true);
    const frames = cache.stats('org_a').frames;
    expect(frames).toMatchObject({ hits: 1, misses: 1, loads: 1, covering_hits: 1, hit_rate: 0.5 });
    expect(cache.stats().frames).toMatchObject({ hits: 1, misses: 1 });
  });

  it('answers and counts the reads coalesced onto it as hits too', async () => {
    const cache = new CostCache({ clock, frameLoadsMax: 1 });
    const gated = gatedLoads();
    const month = cache.frame('org_a', periodReadOnMarch10('2025-03-01', '2025-03-09'), gated.load);
    const waiting = Array.from({ length: 3 }, () => cache.frame('org_a', first, gated.load));
    await settle();
    await gated.release();
    await month;
    expect((await Promise.all(waiting)).map((read) => read.hit)).toEqual([true, true, true]);
    expect(cache.stats('org_a').frames).toMatchObject({ hits: 3, misses: 1, loads: 1, coalesced: 2 });
  });
});
