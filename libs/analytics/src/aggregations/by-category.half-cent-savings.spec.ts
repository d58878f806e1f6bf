import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costByCategory } from './by-category.js';

describe('by category: savings of a half cent', () => {
  // 1.274586265 − 0.449586265 = 0.825 exactly: 0.83, half away from zero (0.82 as the difference
  // of the two sums, each a Float64 with its nano-unit fraction).
  const rows = [
    aFocusRow({
      provider: 'AWS',
      serviceCategory: 'Compute',
      sourceSystem: null,
      billedCost: 1.274586265,
      effectiveCost: 0.449586265,
    }),
  ];

  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('rounds the exact difference once (%s)', (_, frame) => {
    const cloud = costByCategory(frame).find((c) => c.category === 'cloud')!;
    expect(toMoney(cloud.billed)).toBe(1.27);
    expect(toMoney(cloud.effective)).toBe(0.45);
    expect(toMoney(cloud.savings)).toBe(0.83);
    expect(cloud.percentage).toBe(100);
  });
});
