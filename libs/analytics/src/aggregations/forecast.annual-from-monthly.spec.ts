import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf } from '../testing/frame-of.js';
import { totalByCategory } from './cost-summary.js';
import { forecastFromMonthToDate, forecastFromRange, monthInfo } from './forecast.js';
import { inUtc } from '../testing/cost-days-of.js';

/** The month so far of a period covering it, in UTC. */
const monthSoFar = (today: string) =>
  monthInfo(inUtc(today), { start: `${today.slice(0, 8)}01`, end: today });

/** In whole cents, so that 12 × a figure compares exactly (12 × 0.1 is not 1.2 in doubles). */
const cents = (micros: number) => Math.round(toMoney(micros) * 100);

describe('annual forecast = 12 × the monthly forecast as shown', () => {
  it('is 1279214.16 beside a monthly 106601.18, not the unrounded month × 12 (1279214.14)', () => {
    // 34,387.476871 over 10 of March's 31 days: 106,601.1783001 a month.
    const f = forecastFromMonthToDate(34_387_476_871, monthSoFar('2025-03-10'));
    expect(toMoney(f.monthlyForecast)).toBe(106_601.18);
    expect(toMoney(f.annualForecast)).toBe(1_279_214.16);
  });

  it('holds for every month-to-date amount, half-cent ties and negative months included', () => {
    for (const mtd of [1, 4_999, 5_000, 1_000_000, 123_456_789, 34_387_476_871, -7_777_777, 999_999_999_999])
      for (const today of ['2025-02-28', '2025-03-03', '2024-02-29', '2025-03-31'] as const) {
        const f = forecastFromMonthToDate(mtd, monthSoFar(today));
        expect(cents(f.annualForecast)).toBe(12 * cents(f.monthlyForecast));
      }
  });

  it('keeps the whole-period fallback at daily × 365, as the reference defines it', () => {
    // 12.50 over 28 days: 0.446…/day, 13.39 a month (× 30), 162.95 a year (× 365)
    const f = forecastFromRange(12_500_000, '2025-02-01', '2025-02-28');
    expect([toMoney(f.dailyRate), toMoney(f.monthlyForecast), toMoney(f.annualForecast)]).toEqual([
      0.45, 13.39, 162.95,
    ]);
  });

  it("gives /total's sum 12 × its shown month when every part is projected from month to date", () => {
    // Each part's month ends in a third of a cent: the parts' rounded months (×12) would miss the sum's.
    const frame = costFrameOf([
      aFocusRow({ date: '2025-03-02', provider: 'AWS', billedCost: 1 }),
      aFocusRow({ date: '2025-03-02', provider: 'OpenAI', sourceSystem: null, billedCost: 1 }),
      aFocusRow({
        date: '2025-03-03',
        provider: 'Slack',
        sourceSystem: 'subscription_costs_daily',
        billedCost: 1,
      }),
      aFocusRow({
        date: '2025-03-03',
        provider: 'Acme',
        serviceCategory: 'Other',
        sourceSystem: null,
        billedCost: 1,
      }),
    ]);
    const { parts, total } = totalByCategory(
      frame,
      { start: '2025-03-01', end: '2025-03-03' },
      inUtc('2025-03-03'),
    );
    for (const part of Object.values(parts)) {
      expect(toMoney(part.forecast.monthlyForecast)).toBe(10.33);
      expect(toMoney(part.forecast.annualForecast)).toBe(123.96);
    }
    expect(toMoney(total.forecast.monthlyForecast)).toBe(41.33);
    expect(toMoney(total.forecast.annualForecast)).toBe(495.96);
  });

  it('adds the fallback years of parts projected from their period to the 12 months of the others', () => {
    // Month to date (3 of March's 31 days): 1.00 of AWS and 1.00 of Slack, 20.666… a month together.
    // OpenAI's 12.50 is all in February: projected from the period's 31 days, 12.096… a month.
    const frame = costFrameOf([
      aFocusRow({ date: '2025-03-02', provider: 'AWS', billedCost: 1 }),
      aFocusRow({ date: '2025-02-10', provider: 'OpenAI', sourceSystem: null, billedCost: 12.5 }),
      aFocusRow({
        date: '2025-03-03',
        provider: 'Slack',
        sourceSystem: 'subscription_costs_daily',
        billedCost: 1,
      }),
    ]);
    const { parts, total } = totalByCategory(
      frame,
      { start: '2025-02-01', end: '2025-03-03' },
      inUtc('2025-03-03'),
    );
    expect(parts.genai.forecast.basis).toBe('range');
    expect(toMoney(total.forecast.monthlyForecast)).toBe(32.76); // 20.666… + 12.096…
    // 12 × 20.67 = 248.04, plus the fallback's unrounded 147.177…
    expect(toMoney(total.forecast.annualForecast)).toBe(395.22);
  });
});
