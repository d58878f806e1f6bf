import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costTotals } from './totals.js';

describe('totals: savings of a half cent', () => {
  // 1.274586265 − 0.449586265 = 0.825 exactly: 0.83, half away from zero. Billed minus effective
  // of the two sums (each a Float64 with its nano-unit fraction) came out 0.8249999… → 0.82.
  const rows = [aFocusRow({ billedCost: 1.274586265, effectiveCost: 0.449586265 })];

  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('rounds the exact difference once (%s)', (_, frame) => {
    const totals = costTotals(frame);
    expect(toMoney(totals.savings)).toBe(0.83);
    expect(toMoney(-totals.savings)).toBe(-0.83);
  });
});
