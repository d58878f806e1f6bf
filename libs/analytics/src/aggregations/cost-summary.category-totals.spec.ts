import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf } from '../testing/frame-of.js';
import { costTotals } from './totals.js';
import { categorySummary, totalByCategory } from './cost-summary.js';
import { inUtc } from '../testing/cost-days-of.js';

const period = { start: '2025-02-01', end: '2025-03-10' };

describe('category summaries and the total across categories', () => {
  const frame = costFrameOf([
    aFocusRow({ date: '2025-03-05', provider: 'AWS', billedCost: 31, effectiveCost: 30 }),
    aFocusRow({
      date: '2025-02-10',
      provider: 'Google',
      serviceCategory: 'genai',
      sourceSystem: null,
      billedCost: 38,
    }),
    aFocusRow({
      date: '2025-03-01',
      provider: 'Slack',
      serviceCategory: 'SaaS',
      sourceSystem: 'subscription_costs_daily',
      billedCost: 10,
    }),
    aFocusRow({
      date: '2025-02-01',
      provider: 'GitHub',
      serviceCategory: 'SaaS',
      sourceSystem: 'subscription_costs_daily',
      billedCost: 21,
    }),
    aFocusRow({
      date: '2025-03-09',
      provider: 'Datadog',
      serviceCategory: 'Observability',
      sourceSystem: null,
      billedCost: 0.005,
    }),
  ]);

  it('summarises one category with its providers and service categories', () => {
    const s = categorySummary(frame, 'subscription', period, inUtc('2025-03-10'));
    expect(s.totals.billed).toBe(31_000_000);
    expect(s.mtd).toBe(10_000_000);
    expect(s.byProvider.map((p) => [p.provider, p.percentage])).toEqual([
      ['GitHub', 67.74],
      ['Slack', 32.26],
    ]);
    expect(s.byServiceCategory.map((c) => c.category)).toEqual(['SaaS']);
    expect(toMoney(s.forecast.monthlyForecast)).toBe(31);
  });

  it('forecasts GenAI from the whole period when its month is still empty (not subscriptions)', () => {
    const genai = categorySummary(frame, 'genai', period, inUtc('2025-03-10'));
    // 38 over the 38 days of the period: 1/day, 30/month, 365/year
    expect(
      [genai.forecast.dailyRate, genai.forecast.monthlyForecast, genai.forecast.annualForecast].map(toMoney),
    ).toEqual([1, 30, 365]);
    const subsOnly = categorySummary(frame, 'subscription', period, inUtc('2025-04-10'));
    expect(subsOnly.forecast.dailyRate).toBe(0);
  });

  it('adds the four parts up to the frame totals exactly, rounding each figure once', () => {
    const { parts, total } = totalByCategory(frame, period, inUtc('2025-03-10'));
    expect(Object.keys(parts)).toEqual(['cloud', 'genai', 'subscription', 'other']);
    expect(total.totals).toEqual(costTotals(frame));
    expect(toMoney(total.totals.billed)).toBe(100.01);
    expect(total.mtd).toBe(41_005_000);
    expect(toMoney(total.forecast.dailyRate)).toBe(
      toMoney(Object.values(parts).reduce((s, p) => s + p.forecast.dailyRate, 0)),
    );
  });
});
