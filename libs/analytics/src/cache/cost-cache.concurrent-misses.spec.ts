import { aFocusRow } from '#test/focus-rows';
import type pl from 'nodejs-polars';
import { costFrameOf } from '../testing/frame-of.js';
import { CostCache, PeriodRefusedError } from './cost-cache.js';
import { MARCH_10_CLOCK as clock, periodReadOnMarch10 } from '../testing/cost-days-of.js';

const march = periodReadOnMarch10('2025-03-01', '2025-03-10');
const frame = costFrameOf([aFocusRow({ date: '2025-03-05', billedCost: 1 })]);

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CostCache: concurrent misses', () => {
  it('runs one warehouse load for twenty simultaneous misses of one frame', async () => {
    const cache = new CostCache({ clock });
    const gate = deferred<pl.DataFrame>();
    const load = vi.fn(() => gate.promise);
    const reads = Array.from({ length: 20 }, () => cache.frame('org_a', march, load));
    gate.resolve(frame);
    const results = await Promise.all(reads);
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => r.frame.df)).size).toBe(1);
    expect(results.every((r) => !r.hit)).toBe(true);
    expect(cache.stats().frames).toMatchObject({ loads: 1, coalesced: 19, misses: 20, size: 1 });
  });

  it('lets narrower misses wait for a load of more columns, not the reverse', async () => {
    const cache = new CostCache({ clock });
    const gate = deferred<pl.DataFrame>();
    const load = vi.fn(() => gate.promise);
    const reads = [
      cache.frame('org_a', march, load, 'hierarchy'),
      cache.frame('org_a', march, load, 'costs'),
      cache.frame('org_a', march, load, 'rows'),
      cache.frame('org_b', march, load, 'costs'),
    ];
    gate.resolve(frame);
    const [hierarchy, costs, rows] = await Promise.all(reads);
    expect(load).toHaveBeenCalledTimes(3);
    expect(costs!.frame).toBe(hierarchy!.frame);
    expect(rows!.frame.columns).toBe('rows');
  });

  it('loads a narrower frame itself when the load of more columns it waited for is refused', async () => {
    // A listing's frame of FOCUS rows past the bound is refused; the period's grouped frame, read
    // at the same time by a summary, holds a few rows a day and loads.
    const cache = new CostCache({ clock });
    const gate = deferred<pl.DataFrame>();
    const rows = cache.frame('org_a', march, () => gate.promise, 'rows');
    const grouped = vi.fn(async () => frame);
    const costs = cache.frame('org_a', march, grouped, 'costs');
    gate.reject(new PeriodRefusedError('too many rows'));
    await expect(rows).rejects.toThrow('too many rows');
    expect((await costs).frame.df).toBe(frame);
    expect(grouped).toHaveBeenCalledTimes(1);
    // Two reads, two misses: the narrower read's second attempt is not a read of its own.
    expect(cache.stats('org_a').frames).toMatchObject({ misses: 2, hits: 0, loads: 2, coalesced: 1 });
    // The refusal is the rows frame's alone: the same reads again load nothing.
    await expect(cache.frame('org_a', march, grouped, 'rows')).rejects.toThrow('too many rows');
    expect((await cache.frame('org_a', march, grouped, 'costs')).hit).toBe(true);
    expect(grouped).toHaveBeenCalledTimes(1);
  });

  it('gives every waiter the failure and caches nothing, so the next read retries', async () => {
    const cache = new CostCache({ clock });
    const gate = deferred<pl.DataFrame>();
    const reads = Array.from({ length: 3 }, () => cache.frame('org_a', march, () => gate.promise));
    gate.reject(new Error('warehouse down'));
    const settled = await Promise.allSettled(reads);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const retry = vi.fn(async () => frame);
    expect((await cache.frame('org_a', march, retry)).hit).toBe(false);
    expect(retry).toHaveBeenCalledTimes(1);
  });
});
