import { toMoney } from '../money.js';
import { inUtc } from '../testing/cost-days-of.js';
import { categoryForecast, forecastFromRange, monthInfo } from './forecast.js';

describe('forecast from the whole period when the month has no cost yet', () => {
  it('spreads the period total over its days: month = daily × 30, year = daily × 365', () => {
    const f = forecastFromRange(300_000_000, '2025-01-01', '2025-01-30');
    expect([toMoney(f.dailyRate), toMoney(f.monthlyForecast), toMoney(f.annualForecast)]).toEqual([
      10, 300, 3650,
    ]);
  });

  const january = { start: '2025-01-01', end: '2025-01-30' };

  it('applies to usage-billed categories with no month to date', () => {
    const f = categoryForecast(0, 300_000_000, january, monthInfo(inUtc('2025-03-01'), january), true);
    expect(toMoney(f.dailyRate)).toBe(10);
  });

  it('does not apply to subscriptions, nor when the month has cost', () => {
    expect(categoryForecast(0, 300_000_000, january, monthInfo(inUtc('2025-03-01'), january), false)).toEqual(
      {
        dailyRate: 0,
        monthlyForecast: 0,
        annualForecast: 0,
        basis: 'month_to_date',
      },
    );
    const toMarch = { start: '2025-01-01', end: '2025-03-31' };
    const march = monthInfo(inUtc('2025-03-31'), toMarch);
    expect(toMoney(categoryForecast(31_000_000, 300_000_000, toMarch, march, true).monthlyForecast)).toBe(31);
  });
});
