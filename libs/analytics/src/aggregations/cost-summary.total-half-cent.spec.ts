import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { inUtc } from '../testing/cost-days-of.js';
import { costSummary, totalByCategory } from './cost-summary.js';

describe('/total: the sum of the categories is the sum of their rows, to the cent', () => {
  // One row of each category; together 1.245000000 exactly, 1.25 half away from zero. Adding the
  // parts' figures (0.794094037 + 0.434703181 + 0.016202782, each a Float64 with its nano-unit
  // fraction) came out 1.2449999… → 1.24, beside a summary of the same rows showing 1.25.
  const rows = [
    aFocusRow({
      date: '2025-03-02',
      provider: 'AWS',
      serviceCategory: 'Compute',
      sourceSystem: null,
      billedCost: 0.794094037,
      effectiveCost: 0,
    }),
    aFocusRow({
      date: '2025-03-02',
      provider: 'OpenAI',
      serviceCategory: 'LLM',
      sourceSystem: null,
      billedCost: 0.434703181,
      effectiveCost: 0,
    }),
    aFocusRow({
      date: '2025-03-02',
      provider: 'Slack',
      serviceCategory: 'SaaS',
      sourceSystem: null,
      billedCost: 0.016202782,
      effectiveCost: 0,
    }),
  ];
  const period = { start: '2025-03-01', end: '2025-03-04' };
  const days = inUtc('2025-03-04');

  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('rounds the exact sum once, as the summary does (%s)', (_, frame) => {
    const { parts, total } = totalByCategory(frame, period, days);
    expect([parts.cloud, parts.genai, parts.subscription].map((p) => p.totals.recordCount)).toEqual([
      1, 1, 1,
    ]);
    const summary = costSummary(frame, period, days);
    expect(toMoney(summary.totals.billed)).toBe(1.25);
    expect(toMoney(total.totals.billed)).toBe(1.25);
    expect(toMoney(total.totals.list)).toBe(1.25);
    expect(toMoney(total.totals.savings)).toBe(1.25);
    expect(toMoney(total.mtd)).toBe(1.25);
    expect(total.totals.recordCount).toBe(3);
    // Month to date over 4 of 31 days: 1.245 / 4 = 0.31125; × 31 = 9.64875 → 9.65; × 12 = 115.80.
    expect(toMoney(total.forecast.dailyRate)).toBe(0.31);
    expect(toMoney(total.forecast.monthlyForecast)).toBe(9.65);
    expect(toMoney(total.forecast.annualForecast)).toBe(115.8);
  });
});
