import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costByDate } from './by-date.js';

describe('cost by date', () => {
  const frame = costFrameOf([
    aFocusRow({ date: '2024-12-31', billedCost: 1 }),
    aFocusRow({ date: '2025-01-01', billedCost: 2 }),
    aFocusRow({ date: '2025-01-01', billedCost: 4 }),
    aFocusRow({ date: '2025-01-06', billedCost: 8 }),
    aFocusRow({ date: '2025-02-03', billedCost: 16 }),
  ]);

  it('gives one bucket per day with rows, oldest first (no zero-filled days)', () => {
    expect(costByDate(frame, 'daily')).toEqual([
      { date: '2024-12-31', billed: 1_000_000, recordCount: 1 },
      { date: '2025-01-01', billed: 6_000_000, recordCount: 2 },
      { date: '2025-01-06', billed: 8_000_000, recordCount: 1 },
      { date: '2025-02-03', billed: 16_000_000, recordCount: 1 },
    ]);
  });

  it('starts weeks on Mondays, across a year boundary', () => {
    expect(costByDate(frame, 'weekly')).toEqual([
      { date: '2024-12-30', billed: 7_000_000, recordCount: 3 },
      { date: '2025-01-06', billed: 8_000_000, recordCount: 1 },
      { date: '2025-02-03', billed: 16_000_000, recordCount: 1 },
    ]);
  });

  it('labels months YYYY-MM', () => {
    expect(costByDate(frame, 'monthly')).toEqual([
      { date: '2024-12', billed: 1_000_000, recordCount: 1 },
      { date: '2025-01', billed: 14_000_000, recordCount: 3 },
      { date: '2025-02', billed: 16_000_000, recordCount: 1 },
    ]);
  });
});
