import { ComparisonType, comparisonRanges } from './comparison-ranges.js';
import { inUtc } from '../testing/cost-days-of.js';

describe('comparison periods', () => {
  it('compares this week (Monday to today) with the whole previous week', () => {
    const r = comparisonRanges(ComparisonType.WeekOverWeek, inUtc('2025-03-12'), 1);
    expect([r.current.start, r.current.end, r.previous.start, r.previous.end]).toEqual([
      '2025-03-10',
      '2025-03-12',
      '2025-03-03',
      '2025-03-09',
    ]);
  });

  it('compares month to date with the whole previous month', () => {
    const r = comparisonRanges(ComparisonType.MonthOverMonth, inUtc('2025-03-12'), 1);
    expect([r.current.start, r.current.end, r.previous.start, r.previous.end]).toEqual([
      '2025-03-01',
      '2025-03-12',
      '2025-02-01',
      '2025-02-28',
    ]);
  });

  it('compares fiscal quarters and years with the org fiscal start', () => {
    const q = comparisonRanges(ComparisonType.QuarterOverQuarter, inUtc('2025-04-20'), 4);
    expect([q.current.start, q.previous.start, q.previous.end]).toEqual([
      '2025-04-01',
      '2025-01-01',
      '2025-03-31',
    ]);
    const y = comparisonRanges(ComparisonType.YearOverYear, inUtc('2025-04-20'), 4);
    expect([y.current.start, y.current.end, y.previous.start, y.previous.end]).toEqual([
      '2025-04-01',
      '2025-04-20',
      '2024-04-01',
      '2025-03-31',
    ]);
  });

  it('compares the last n days with the n days just before', () => {
    const r = comparisonRanges(ComparisonType.CustomDays, inUtc('2025-03-12'), 1, 7);
    expect([r.current.start, r.current.end, r.previous.start, r.previous.end]).toEqual([
      '2025-03-06',
      '2025-03-12',
      '2025-02-27',
      '2025-03-05',
    ]);
  });
});
