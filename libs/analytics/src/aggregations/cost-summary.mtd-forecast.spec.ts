import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf } from '../testing/frame-of.js';
import { costSummary } from './cost-summary.js';
import { inUtc } from '../testing/cost-days-of.js';

describe('summary: totals, month to date and forecasts', () => {
  const frame = costFrameOf([
    aFocusRow({
      date: '2025-01-20',
      provider: 'AWS',
      serviceCategory: 'Compute',
      billedCost: 1000,
      effectiveCost: 900,
    }),
    aFocusRow({
      date: '2025-03-02',
      provider: 'OpenAI',
      serviceCategory: 'AI and Machine Learning',
      billedCost: 40,
    }),
    aFocusRow({
      date: '2025-03-04',
      provider: 'AWS',
      serviceCategory: 'Storage',
      billedCost: 20.004,
      effectiveCost: 20,
    }),
  ]);

  it('sums the whole period and takes month to date from its current-month days', () => {
    const s = costSummary(frame, { start: '2025-01-01', end: '2025-03-04' }, inUtc('2025-03-04'));
    expect(s.totals).toEqual({
      billed: 1_060_004_000,
      effective: 960_000_000,
      list: 1_060_004_000,
      savings: 100_004_000,
      recordCount: 3,
    });
    expect(s.mtd).toBe(60_004_000);
    expect(s.providers).toEqual(['AWS', 'OpenAI']);
    expect(s.serviceCategories).toEqual(['AI and Machine Learning', 'Compute', 'Storage']);
  });

  it('forecasts from month to date: 60.004 over 4 of 31 days', () => {
    const { forecast } = costSummary(frame, { start: '2025-01-01', end: '2025-03-04' }, inUtc('2025-03-04'));
    expect(toMoney(forecast.dailyRate)).toBe(15);
    // 60.004 × 31 / 4 = 465.031 → 465.03; × 12 = 5580.36
    expect(toMoney(forecast.monthlyForecast)).toBe(465.03);
    expect(toMoney(forecast.annualForecast)).toBe(5580.36);
  });

  it('has zero month to date and forecasts when today is past the period', () => {
    const s = costSummary(frame, { start: '2025-01-01', end: '2025-03-04' }, inUtc('2025-04-10'));
    expect([s.mtd, s.forecast.dailyRate, s.forecast.annualForecast]).toEqual([0, 0, 0]);
  });
});
