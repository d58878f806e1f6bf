import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { compareCosts } from './comparison.js';

describe('period comparison', () => {
  it('gives the change overall and per provider, providers of either period by name', () => {
    const current = costFrameOf([
      aFocusRow({ provider: 'AWS', billedCost: 150 }),
      aFocusRow({ provider: 'OpenAI', billedCost: 50 }),
    ]);
    const previous = costFrameOf([
      aFocusRow({ provider: 'AWS', billedCost: 100 }),
      aFocusRow({ provider: 'Azure', billedCost: 100 }),
    ]);
    const c = compareCosts(current, previous);
    expect(c.current).toBe(200_000_000);
    expect(c.previous).toBe(200_000_000);
    expect(c.change).toEqual({ amount: 0, percent: 0, direction: 'flat' });
    expect(c.byProvider).toEqual([
      {
        provider: 'AWS',
        current: 150_000_000,
        previous: 100_000_000,
        changeAmount: 50_000_000,
        changePercent: 50,
      },
      {
        provider: 'Azure',
        current: 0,
        previous: 100_000_000,
        changeAmount: -100_000_000,
        changePercent: -100,
      },
      { provider: 'OpenAI', current: 50_000_000, previous: 0, changeAmount: 50_000_000, changePercent: 100 },
    ]);
  });

  it('says up when costs rose', () => {
    const c = compareCosts(
      costFrameOf([aFocusRow({ billedCost: 3 })]),
      costFrameOf([aFocusRow({ billedCost: 2 })]),
    );
    expect(c.change).toEqual({ amount: 1_000_000, percent: 50, direction: 'up' });
  });
});
