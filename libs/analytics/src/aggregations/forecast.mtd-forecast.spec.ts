import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf } from '../testing/frame-of.js';
import { forecastFromMonthToDate, monthInfo, monthToDate } from './forecast.js';

describe('month to date, daily rate and forecasts', () => {
  const frame = costFrameOf([
    aFocusRow({ date: '2025-02-28', billedCost: 500 }),
    aFocusRow({ date: '2025-03-01', billedCost: 100 }),
    aFocusRow({ date: '2025-03-10', billedCost: 0.01 }),
  ]);

  it('counts only this month up to today in month to date', () => {
    expect(monthToDate(frame, '2025-03-10')).toBe(100_010_000);
    expect(monthToDate(frame, '2025-03-09')).toBe(100_000_000);
  });

  it('derives daily rate and month from MTD, and the year from the month as shown', () => {
    const f = forecastFromMonthToDate(monthToDate(frame, '2025-03-10'), '2025-03-10');
    // 100.01 / 10 days = 10.001/day; × 31 = 310.031 → 310.03; × 12 = 3720.36
    expect([toMoney(f.dailyRate), toMoney(f.monthlyForecast), toMoney(f.annualForecast)]).toEqual([
      10, 310.03, 3720.36,
    ]);
  });

  it('makes the annual forecast 12 × the monthly one rounded to cents (reference §1.5)', () => {
    // 1.00 over 3 days of a 31-day month: monthly 10.333… → 10.33, annual 123.96 (not 124.00)
    const f = forecastFromMonthToDate(1_000_000, '2025-03-03');
    expect(toMoney(f.monthlyForecast)).toBe(10.33);
    expect(toMoney(f.annualForecast)).toBe(123.96);
  });

  it('knows how far into the month today is', () => {
    expect(monthInfo('2024-02-10')).toEqual({ daysElapsed: 10, daysInMonth: 29, daysRemaining: 19 });
  });

  it('has no month to date when the period ends before this month', () => {
    expect(monthToDate(costFrameOf([aFocusRow({ date: '2025-02-28', billedCost: 5 })]), '2025-03-10')).toBe(
      0,
    );
  });
});
