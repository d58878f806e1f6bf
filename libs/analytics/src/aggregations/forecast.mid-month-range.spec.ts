import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { inUtc } from '../testing/cost-days-of.js';
import { costFrameOf } from '../testing/frame-of.js';
import { costSummary } from './cost-summary.js';
import { monthInfo } from './forecast.js';

/** Six days of December at 100 a day, today the 6th (UTC). */
const today = inUtc('2026-12-06');
const frame = costFrameOf(
  ['01', '02', '03', '04', '05', '06'].map((d) => aFocusRow({ date: `2026-12-${d}`, billedCost: 100 })),
);
const forecast = (start: string, end: string) => {
  const s = costSummary(frame, { start, end }, today);
  return [s.mtd, s.forecast.dailyRate, s.forecast.monthlyForecast, s.forecast.annualForecast].map(toMoney);
};

describe('forecast of a period starting mid-month: the run rate of the days it covers', () => {
  it('gives a period covering the month so far exactly the month-to-date figures', () => {
    // 600 over 6 days: 100 a day, 3100 a month, 37200 a year; from January or from the 1st alike.
    expect(forecast('2026-01-01', '2026-12-06')).toEqual([600, 100, 3100, 37_200]);
    expect(forecast('2026-12-01', '2026-12-31')).toEqual([600, 100, 3100, 37_200]);
  });

  it("divides a today view's cost by its one day, not by the six elapsed", () => {
    // The reference: 100 / 6 = 16.67 a day, 516.67 a month for the same month.
    expect(forecast('2026-12-06', '2026-12-06')).toEqual([100, 100, 3100, 37_200]);
  });

  it('divides by the days of the month the period covers, up to today', () => {
    expect(forecast('2026-12-04', '2026-12-31')).toEqual([300, 100, 3100, 37_200]);
    expect(forecast('2026-12-02', '2026-12-03')).toEqual([200, 100, 3100, 37_200]);
    expect(monthInfo(today, { start: '2026-12-04', end: '2027-01-31' })).toEqual({
      start: '2026-12-04',
      end: '2026-12-06',
      daysCovered: 3,
      daysInMonth: 31,
    });
  });

  it('has nothing to forecast from a period outside the month', () => {
    expect(forecast('2026-11-01', '2026-11-30')).toEqual([0, 0, 0, 0]);
  });
});
