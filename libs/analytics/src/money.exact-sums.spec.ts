import pl from 'nodejs-polars';
import { billedTotal } from './aggregations/totals.js';
import { C } from './frame/cost-frame.js';
import { toMoney } from './money.js';

/**
 * Why costs are summed as integer micro-units: a float sum of a million 0.1s is not 100000.
 * The frame's micro-unit sum is exact, and rounding once at the edge gives the exact cents.
 */
describe('sums in micro-units are exact where float sums drift', () => {
  it('adds a million costs of 0.1 to exactly 100,000.00', () => {
    const n = 1_000_000;
    const floats = new Float64Array(n).fill(0.1);
    let floatSum = 0;
    for (const v of floats) floatSum += v;
    expect(floatSum).not.toBe(100_000);

    const frame = pl.DataFrame([pl.Series(C.billed, new Array<number>(n).fill(100_000), pl.Int64)]);
    expect(billedTotal(frame)).toBe(100_000_000_000);
    expect(toMoney(billedTotal(frame))).toBe(100_000);
  });

  it('lands exactly on a half cent and rounds it away from zero', () => {
    // 1,000 rows of 0.000005 = 0.005 exactly: a float sum gives 0.004999… and rounds down.
    const frame = pl.DataFrame([pl.Series(C.billed, new Array<number>(1_000).fill(5), pl.Int64)]);
    expect(billedTotal(frame)).toBe(5_000);
    expect(toMoney(billedTotal(frame))).toBe(0.01);
  });
});
