import { aFocusRow } from '#test/focus-rows';
import { costByProvider } from './aggregations/cost-shares.js';
import { costRows } from './aggregations/cost-rows.js';
import { costTotals } from './aggregations/totals.js';
import { toMoney } from './money.js';
import { costFrameOf } from './testing/frame-of.js';

/**
 * Ten rows just under the import's bound (1e12 each): 9.9e12 in all, past Int64 micro-units
 * (9.22e12 currency units), where Polars' Int64 sums wrap around.
 */
describe('money past the range of 64-bit micro-units', () => {
  const row = 990_000_000_000;
  const frame = costFrameOf([
    ...Array.from({ length: 9 }, () => aFocusRow({ provider: 'AWS', billedCost: row, effectiveCost: 1 })),
    aFocusRow({ provider: 'GCP', billedCost: row, effectiveCost: 0.25 }),
  ]);

  it('sums a frame whose costs add up past Int64 micro-units without wrapping', () => {
    const totals = costTotals(frame);
    expect(toMoney(totals.billed)).toBe(9_900_000_000_000);
    expect(toMoney(totals.effective)).toBe(9.25);
    expect(costByProvider(frame).map((p) => [p.provider, toMoney(p.billed)])).toEqual([
      ['AWS', 8_910_000_000_000],
      ['GCP', 990_000_000_000],
    ]);
  });

  it('rounds a sum past 2^53 micro-units to whole cents (a Float64 there is a multiple of 2^11, not of a cent)', () => {
    // 9,999,999,999,995.25 as the nearest Float64 of its micro-units (…250,688).
    expect(toMoney(9_999_999_999_995_250_000)).toBe(9_999_999_999_995.25);
    expect(toMoney(-9_999_999_999_995_250_000)).toBe(-9_999_999_999_995.25);
    expect(toMoney(1e19)).toBe(1e13);
  });

  it('lists a row near the import’s cap beside one with sub-micro digits (the spec factory’s rest is exact)', async () => {
    const rows = await costRows(
      costFrameOf([
        aFocusRow({ date: '2025-01-02', billedCost: 999_999_999_999.5 }),
        aFocusRow({ date: '2025-01-01', billedCost: 0.0000014 }),
      ]),
    );
    expect(rows[0]!.BilledCost).toBeCloseTo(999_999_999_999.5, 3);
    expect(rows[1]!.BilledCost).toBe(0.0000014);
  });

  it('keeps a frame within the range on exact 64-bit sums', () => {
    const small = costFrameOf([aFocusRow({ billedCost: 0.1 }), aFocusRow({ billedCost: 0.2 })]);
    expect(small.getColumn('billed_micros').dtype.variant).toBe('Int64');
    expect(costTotals(small).billed).toBe(300_000);
  });
});
