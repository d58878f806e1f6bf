import { DatePeriod } from './date-periods.js';
import { DateRangeError, resolveCostPeriod, resolveTrendWindow } from './resolve-dates.js';

// Cost rows are dated by their UTC day; an org's periods follow its own calendar.
// Los Angeles at 2026-12-06T03:09Z: still Dec 5 there, while the UTC day Dec 6 has rows.
const losAngeles = { today: '2026-12-05', utcToday: '2026-12-06', fiscalStartMonth: 1 };
// Auckland at 2026-04-01T20:00Z: already Apr 2 there, while the UTC day Apr 1 is still written.
const auckland = { today: '2026-04-02', utcToday: '2026-04-01', fiscalStartMonth: 1 };

describe('cost periods of an org off UTC: capped at the latest day costs exist for', () => {
  it('reads the running UTC day west of UTC, asked for explicitly', () => {
    expect(resolveCostPeriod({ startDate: '2026-12-06', endDate: '2026-12-06' }, losAngeles)).toMatchObject({
      start: '2026-12-06',
      end: '2026-12-06',
    });
    expect(resolveCostPeriod({ startDate: '2026-12-01', endDate: '2027-03-01' }, losAngeles).end).toBe(
      '2026-12-06',
    );
  });

  it('ends the default period, the trend window and the periods to date on that day west of UTC', () => {
    expect(resolveCostPeriod({}, losAngeles)).toMatchObject({ start: '2026-01-01', end: '2026-12-06' });
    expect(resolveTrendWindow({}, 30, losAngeles)).toMatchObject({ start: '2026-11-07', end: '2026-12-06' });
    expect(resolveCostPeriod({ period: DatePeriod.MonthToDate }, losAngeles)).toMatchObject({
      start: '2026-12-01',
      end: '2026-12-06',
    });
    // Named days stay the org's own.
    expect(resolveCostPeriod({ period: DatePeriod.Today }, losAngeles)).toMatchObject({
      start: '2026-12-05',
      end: '2026-12-05',
    });
  });

  it("keeps the org's calendar: its month and fiscal year are those of its own today", () => {
    // New Year's Eve in Los Angeles, already 2027 in UTC: the year to date is still 2026's.
    const eve = { today: '2026-12-31', utcToday: '2027-01-01', fiscalStartMonth: 1 };
    expect(resolveCostPeriod({}, eve)).toMatchObject({
      start: '2026-01-01',
      end: '2026-12-31',
      label: 'FY 2026',
    });
    expect(resolveCostPeriod({ period: DatePeriod.MonthToDate }, eve)).toMatchObject({
      start: '2026-12-01',
      end: '2026-12-31',
    });
    // An explicit range reaches the UTC day all the same.
    expect(resolveCostPeriod({ startDate: '2027-01-01', endDate: '2027-01-01' }, eve).end).toBe('2027-01-01');
  });

  it("caps at the org's today east of UTC, the running UTC day included", () => {
    expect(resolveCostPeriod({ startDate: '2026-04-01', endDate: '2026-04-01' }, auckland)).toMatchObject({
      start: '2026-04-01',
      end: '2026-04-01',
    });
    expect(resolveCostPeriod({}, auckland).end).toBe('2026-04-02');
    expect(resolveTrendWindow({}, 2, auckland)).toMatchObject({ start: '2026-04-01', end: '2026-04-02' });
  });

  it('never ends a range before its start unless it lies wholly after that day', () => {
    for (const days of [losAngeles, auckland]) {
      const last = days.today > days.utcToday ? days.today : days.utcToday;
      for (const start of [days.today, days.utcToday]) {
        const p = resolveCostPeriod({ startDate: start, endDate: '2027-12-31' }, days);
        expect([p.start, p.end]).toEqual([start, last]);
      }
    }
    // After it: empty (start > end), read as no data.
    expect(resolveCostPeriod({ startDate: '2026-12-07', endDate: '2026-12-07' }, losAngeles)).toMatchObject({
      start: '2026-12-07',
      end: '2026-12-06',
    });
  });

  it('measures the 730 days of a range up to that day', () => {
    // 2024-12-07..2026-12-06 is 730 days, both ends included.
    expect(() =>
      resolveCostPeriod({ startDate: '2024-12-07', endDate: '2030-01-01' }, losAngeles),
    ).not.toThrow();
    expect(() => resolveCostPeriod({ startDate: '2024-12-06', endDate: '2030-01-01' }, losAngeles)).toThrow(
      DateRangeError,
    );
  });
});
