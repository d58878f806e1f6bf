import pl from 'nodejs-polars';
import { billedTotal } from './aggregations/totals.js';
import { C } from './frame/cost-frame.js';
import { toMoney } from './money.js';

/**
 * Why costs are summed as integer micro-units: a float sum of a million 0.1s is not 100000.
 * The frame's micro-unit sum is exact, and rounding once at the edge gives the exact cents.
 */
/** Billed costs in micro-units, and what their rounding left out (nano-units; none by default). */
const billedFrame = (micros: number[], rests: number[] = micros.map(() => 0)) =>
  pl.DataFrame([pl.Series(C.billed, micros, pl.Int64), pl.Series(C.billedRest, rests, pl.Int16)]);

describe('sums in micro-units are exact where float sums drift', () => {
  it('adds a million costs of 0.1 to exactly 100,000.00', () => {
    const n = 1_000_000;
    const floats = new Float64Array(n).fill(0.1);
    let floatSum = 0;
    for (const v of floats) floatSum += v;
    expect(floatSum).not.toBe(100_000);

    const frame = billedFrame(new Array<number>(n).fill(100_000));
    expect(billedTotal(frame)).toBe(100_000_000_000);
    expect(toMoney(billedTotal(frame))).toBe(100_000);
  });

  it('lands exactly on a half cent and rounds it away from zero', () => {
    // 1,000 rows of 0.000005 = 0.005 exactly: a float sum gives 0.004999… and rounds down.
    const frame = billedFrame(new Array<number>(1_000).fill(5));
    expect(billedTotal(frame)).toBe(5_000);
    expect(toMoney(billedTotal(frame))).toBe(0.01);
  });

  it('keeps what each row’s micro-units left out: 30,000 line items of 0.0000014 are 0.042, so 0.04', () => {
    // Each is 1 micro-unit and 400 nano-units: rounded per row they summed to 0.03.
    const frame = billedFrame(new Array<number>(30_000).fill(1), new Array<number>(30_000).fill(400));
    expect(billedTotal(frame)).toBe(42_000);
    expect(toMoney(billedTotal(frame))).toBe(0.04);
  });

  it('lands on a half cent made of sub-micro rests and rounds it away from zero', () => {
    // 4,999 micro-units and two rows' rests of +700 and +300 nano-units: 0.005 exactly.
    const frame = billedFrame([4_999, 0, 0], [0, 700, 300]);
    expect(billedTotal(frame)).toBe(5_000);
    expect(toMoney(billedTotal(frame))).toBe(0.01);
    expect(toMoney(billedTotal(billedFrame([-4_999, 0], [-700, -300])))).toBe(-0.01);
  });
});
