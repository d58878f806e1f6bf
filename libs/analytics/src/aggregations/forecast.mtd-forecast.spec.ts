import { aFocusRow } from '#test/focus-rows';
import type { CostDays } from '../calendar/cost-days.js';
import { toMoney } from '../money.js';
import { inUtc } from '../testing/cost-days-of.js';
import { costFrameOf } from '../testing/frame-of.js';
import { forecastFromMonthToDate, monthInfo, monthToDate } from './forecast.js';

/** The month to date of a period from the start of the year to today, in UTC. */
const yearToDate = (today: string) =>
  monthInfo(inUtc(today), { start: `${today.slice(0, 4)}-01-01`, end: today });
const toDate = (days: CostDays) => monthInfo(days, { start: '2026-01-01', end: '2026-12-31' });

describe('month to date, daily rate and forecasts', () => {
  const frame = costFrameOf([
    aFocusRow({ date: '2025-02-28', billedCost: 500 }),
    aFocusRow({ date: '2025-03-01', billedCost: 100 }),
    aFocusRow({ date: '2025-03-10', billedCost: 0.01 }),
  ]);

  it('counts only this month up to today in month to date', () => {
    expect(monthToDate(frame, yearToDate('2025-03-10'))).toBe(100_010_000);
    expect(monthToDate(frame, yearToDate('2025-03-09'))).toBe(100_000_000);
  });

  it('derives daily rate and month from MTD, and the year from the month as shown', () => {
    const month = yearToDate('2025-03-10');
    const f = forecastFromMonthToDate(monthToDate(frame, month), month);
    // 100.01 / 10 days = 10.001/day; × 31 = 310.031 → 310.03; × 12 = 3720.36
    expect([toMoney(f.dailyRate), toMoney(f.monthlyForecast), toMoney(f.annualForecast)]).toEqual([
      10, 310.03, 3720.36,
    ]);
  });

  it('makes the annual forecast 12 × the monthly one rounded to cents (reference §1.5)', () => {
    // 1.00 over 3 days of a 31-day month: monthly 10.333… → 10.33, annual 123.96 (not 124.00)
    const f = forecastFromMonthToDate(1_000_000, yearToDate('2025-03-03'));
    expect(toMoney(f.monthlyForecast)).toBe(10.33);
    expect(toMoney(f.annualForecast)).toBe(123.96);
  });

  it('knows how far into the month today is', () => {
    expect(yearToDate('2024-02-10')).toEqual({
      start: '2024-02-01',
      end: '2024-02-10',
      daysCovered: 10,
      daysInMonth: 29,
    });
  });

  it("counts the running UTC day west of UTC, in the org's month", () => {
    const days = costFrameOf([
      aFocusRow({ date: '2026-11-30', billedCost: 7 }),
      aFocusRow({ date: '2026-12-01', billedCost: 10 }),
      aFocusRow({ date: '2026-12-06', billedCost: 2 }),
    ]);
    // Dec 5 in Los Angeles, Dec 6 in UTC: Dec 1..6, six days of the month.
    const losAngeles = toDate({ today: '2026-12-05', utcToday: '2026-12-06' });
    expect(monthToDate(days, losAngeles)).toBe(12_000_000);
    expect(toMoney(forecastFromMonthToDate(12_000_000, losAngeles).dailyRate)).toBe(2);
    // Nov 30 in Los Angeles, Dec 1 in UTC: still November's month, the December rows not in it.
    const eve = toDate({ today: '2026-11-30', utcToday: '2026-12-01' });
    expect(eve).toMatchObject({ start: '2026-11-01', end: '2026-11-30', daysCovered: 30 });
    expect(monthToDate(days, eve)).toBe(7_000_000);
  });

  it('has no month to date when the period ends before this month', () => {
    const month = monthInfo(inUtc('2025-03-10'), { start: '2025-02-01', end: '2025-02-28' });
    expect(month.start > month.end).toBe(true);
    expect(monthToDate(costFrameOf([aFocusRow({ date: '2025-02-28', billedCost: 5 })]), month)).toBe(0);
  });
});
