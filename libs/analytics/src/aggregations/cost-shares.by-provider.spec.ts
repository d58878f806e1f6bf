import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costByProvider, costByServiceCategory } from './cost-shares.js';

describe('cost by provider and by service category', () => {
  const frame = costFrameOf([
    aFocusRow({ provider: 'AWS', serviceCategory: 'Compute', billedCost: 50 }),
    aFocusRow({ provider: 'AWS', serviceCategory: 'Storage', billedCost: 25 }),
    aFocusRow({ provider: 'OpenAI', serviceCategory: 'AI and Machine Learning', billedCost: 25 }),
    aFocusRow({ provider: 'Slack', serviceCategory: 'SaaS', billedCost: 0 }),
  ]);

  it('sorts providers by cost, highest first, with shares of the billed total', () => {
    expect(costByProvider(frame)).toEqual([
      { provider: 'AWS', billed: 75_000_000, recordCount: 2, percentage: 75 },
      { provider: 'OpenAI', billed: 25_000_000, recordCount: 1, percentage: 25 },
      { provider: 'Slack', billed: 0, recordCount: 1, percentage: 0 },
    ]);
  });

  it('groups by the FOCUS service category the same way', () => {
    expect(costByServiceCategory(frame).map((c) => [c.category, c.billed, c.percentage])).toEqual([
      ['Compute', 50_000_000, 50],
      ['AI and Machine Learning', 25_000_000, 25],
      ['Storage', 25_000_000, 25],
      ['SaaS', 0, 0],
    ]);
  });

  it('gives every share 0 when the total is not positive (credits only)', () => {
    const credits = costFrameOf([aFocusRow({ provider: 'AWS', billedCost: -10 })]);
    expect(costByProvider(credits)).toEqual([
      { provider: 'AWS', billed: -10_000_000, recordCount: 1, percentage: 0 },
    ]);
  });
});
