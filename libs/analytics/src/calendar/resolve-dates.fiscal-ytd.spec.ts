import { DatePeriod } from './date-periods.js';
import { DateRangeError, resolveCostPeriod, resolveTrendWindow } from './resolve-dates.js';

const ctx = (today: string, fiscalStartMonth = 1) => ({ today, utcToday: today, fiscalStartMonth });

describe('cost read periods (date resolution)', () => {
  it('defaults to the fiscal year to date with the org fiscal-year start month', () => {
    expect(resolveCostPeriod({}, ctx('2025-02-10', 4))).toMatchObject({
      start: '2024-04-01',
      end: '2025-02-10',
      label: 'FY 2024',
      source: 'fiscal_ytd',
    });
    expect(resolveCostPeriod({}, ctx('2025-04-01', 4))).toMatchObject({
      start: '2025-04-01',
      end: '2025-04-01',
    });
  });

  it('defaults to January 1 for a calendar fiscal year', () => {
    expect(resolveCostPeriod({}, ctx('2025-08-20'))).toMatchObject({
      start: '2025-01-01',
      end: '2025-08-20',
    });
  });

  it('uses a custom range only when both dates are given, capping the end at today', () => {
    expect(
      resolveCostPeriod({ startDate: '2025-01-01', endDate: '2025-12-31' }, ctx('2025-03-15')),
    ).toMatchObject({
      start: '2025-01-01',
      end: '2025-03-15',
      source: 'custom',
    });
    expect(resolveCostPeriod({ startDate: '2024-06-01' }, ctx('2025-03-15'))).toMatchObject({
      start: '2025-01-01',
      source: 'fiscal_ytd',
    });
  });

  it('reads a start after today as an empty period, not an error', () => {
    const p = resolveCostPeriod({ startDate: '2025-04-01', endDate: '2025-04-30' }, ctx('2025-03-15'));
    expect(p.start > p.end).toBe(true);
  });

  it('refuses a start after the end, naming start_date', () => {
    expect(() =>
      resolveCostPeriod({ startDate: '2025-02-02', endDate: '2025-02-01' }, ctx('2025-03-15')),
    ).toThrow(expect.objectContaining({ field: 'start_date' }) as unknown as Error);
  });

  it('allows a range of 730 days, both ends included (as days=730), and refuses 731', () => {
    expect(
      resolveCostPeriod({ startDate: '2023-01-02', endDate: '2024-12-31' }, ctx('2025-03-15')).start,
    ).toBe('2023-01-02');
    const tooLong = () =>
      resolveCostPeriod({ startDate: '2023-01-01', endDate: '2024-12-31' }, ctx('2025-03-15'));
    expect(tooLong).toThrow(DateRangeError);
    expect(tooLong).toThrow(/at most 730 days, start_date and end_date included/);
    expect(tooLong).toThrow(expect.objectContaining({ field: 'end_date' }) as unknown as Error);
  });

  it('measures a range by the period it reads, its end capped at today', () => {
    // 2025-01-01..2027-06-01 reads 2025-01-01..2026-12-04: 703 days.
    const capped = resolveTrendWindow(
      { startDate: '2025-01-01', endDate: '2027-06-01' },
      365,
      ctx('2026-12-04'),
    );
    expect(capped).toMatchObject({ start: '2025-01-01', end: '2026-12-04', source: 'custom' });
    // Up to 730 days read, however far the end lies beyond today.
    expect(resolveCostPeriod({ startDate: '2024-12-05', endDate: '2030-01-01' }, ctx('2026-12-04')).end).toBe(
      '2026-12-04',
    );
    expect(() =>
      resolveCostPeriod({ startDate: '2024-12-04', endDate: '2030-01-01' }, ctx('2026-12-04')),
    ).toThrow(DateRangeError);
    // A range wholly after today reads nothing, whatever its length.
    expect(resolveCostPeriod({ startDate: '2027-01-01', endDate: '2030-01-01' }, ctx('2026-12-04')).end).toBe(
      '2026-12-04',
    );
  });

  it('covers as many days with days=730 as the longest explicit range', () => {
    const window = resolveTrendWindow({}, 730, ctx('2026-12-04'));
    expect(() =>
      resolveTrendWindow({ startDate: window.start, endDate: window.end }, 730, ctx('2026-12-04')),
    ).not.toThrow();
    expect(() =>
      resolveTrendWindow({ startDate: '2024-12-04', endDate: window.end }, 730, ctx('2026-12-04')),
    ).toThrow(DateRangeError);
    expect(window.start).toBe('2024-12-05');
  });

  it('resolves named periods and fiscal years, capped at today', () => {
    expect(resolveCostPeriod({ period: DatePeriod.MonthToDate }, ctx('2025-03-15'))).toMatchObject({
      start: '2025-03-01',
      end: '2025-03-15',
    });
    expect(resolveCostPeriod({ fiscalYear: 2024 }, ctx('2025-03-15', 4))).toMatchObject({
      start: '2024-04-01',
      end: '2025-03-15',
      source: 'fiscal_year',
    });
  });

  it('gives trend windows of exactly `days` days ending today, or the custom range', () => {
    expect(resolveTrendWindow({}, 30, ctx('2025-03-15'))).toMatchObject({
      start: '2025-02-14',
      end: '2025-03-15',
    });
    expect(resolveTrendWindow({}, 1, ctx('2025-03-15'))).toMatchObject({
      start: '2025-03-15',
      end: '2025-03-15',
    });
    expect(
      resolveTrendWindow({ startDate: '2025-01-01', endDate: '2025-01-31' }, 30, ctx('2025-03-15')),
    ).toMatchObject({ start: '2025-01-01', end: '2025-01-31', source: 'custom' });
  });
});
