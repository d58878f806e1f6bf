import { usagePercent } from './quota-usage.dto.js';

describe('quota usage percent', () => {
  it.each([
    [0, 6, 0],
    [1, 6, 16.67],
    [2, 3, 66.67],
    [6, 6, 100],
    [7, 6, 116.67],
    [1, 999_999, 0],
    [0, 0, 100],
  ])('%i of %i is %d%%', (used, limit, percent) => {
    expect(usagePercent(used, limit)).toBe(percent);
  });
});
