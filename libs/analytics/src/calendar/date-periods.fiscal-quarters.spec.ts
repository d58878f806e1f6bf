import { DatePeriod, periodRange } from './date-periods.js';
import { fiscalQuarterOf, fiscalYearOf, fiscalYearRange } from './fiscal-year.js';
import { inUtc } from '../testing/cost-days-of.js';

describe('named periods and fiscal quarters', () => {
  it('names a fiscal year after the calendar year it starts in', () => {
    expect(fiscalYearOf('2025-03-31', 4)).toBe(2024);
    expect(fiscalYearOf('2025-04-01', 4)).toBe(2025);
    expect(fiscalYearOf('2025-03-31', 1)).toBe(2025);
    expect(fiscalYearRange(2024, 4)).toEqual({ start: '2024-04-01', end: '2025-03-31' });
    expect(fiscalYearRange(2024, 1)).toEqual({ start: '2024-01-01', end: '2024-12-31' });
    expect(fiscalYearRange(2023, 3)).toEqual({ start: '2023-03-01', end: '2024-02-29' });
  });

  it('counts quarters from the fiscal year start', () => {
    expect(fiscalQuarterOf('2025-04-15', 4)).toBe(1);
    expect(fiscalQuarterOf('2025-03-15', 4)).toBe(4);
    expect(fiscalQuarterOf('2025-03-15', 1)).toBe(1);
  });

  it('gives quarter to date and last quarter, wrapping to Q4 of the previous fiscal year', () => {
    expect(periodRange(DatePeriod.QuarterToDate, inUtc('2025-05-10'), 4)).toEqual({
      start: '2025-04-01',
      end: '2025-05-10',
      label: 'Q2 2025',
    });
    expect(periodRange(DatePeriod.LastQuarter, inUtc('2025-05-10'), 4)).toEqual({
      start: '2025-01-01',
      end: '2025-03-31',
      label: 'Q1 2025',
    });
    expect(periodRange(DatePeriod.LastQuarter, inUtc('2025-02-10'), 1)).toMatchObject({
      start: '2024-10-01',
      end: '2024-12-31',
    });
  });

  it('gives days, months and years relative to today', () => {
    expect(periodRange(DatePeriod.Today, inUtc('2025-01-05'), 1)).toEqual({
      start: '2025-01-05',
      end: '2025-01-05',
      label: 'Jan 05, 2025',
    });
    expect(periodRange(DatePeriod.Yesterday, inUtc('2025-01-05'), 1).label).toBe('Yesterday (Jan 04)');
    expect(periodRange(DatePeriod.Last7Days, inUtc('2025-01-05'), 1)).toMatchObject({ start: '2024-12-30' });
    expect(periodRange(DatePeriod.LastMonth, inUtc('2025-03-31'), 1)).toEqual({
      start: '2025-02-01',
      end: '2025-02-28',
      label: 'Feb 2025',
    });
    expect(periodRange(DatePeriod.LastYear, inUtc('2025-03-31'), 4)).toEqual({
      start: '2023-04-01',
      end: '2024-03-31',
      label: 'FY 2023',
    });
  });
});
