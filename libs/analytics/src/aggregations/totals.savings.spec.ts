import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costTotals, distinctValues } from './totals.js';
import { C } from '../frame/cost-frame.js';

describe('totals and savings', () => {
  it('sums billed, effective and list cost, and saves billed minus effective', () => {
    const frame = costFrameOf([
      aFocusRow({ billedCost: 100, effectiveCost: 80, listCost: 120 }),
      aFocusRow({ billedCost: 0.333333, effectiveCost: 0.333333, listCost: 0.5 }),
      aFocusRow({ billedCost: -5, effectiveCost: -5, listCost: 0, chargeCategory: 'Credit' }),
    ]);
    expect(costTotals(frame)).toEqual({
      billed: 95_333_333,
      effective: 75_333_333,
      list: 120_500_000,
      savings: 20_000_000,
      recordCount: 3,
    });
  });

  it('gives zeros for an empty frame', () => {
    expect(costTotals(costFrameOf([]))).toEqual({
      billed: 0,
      effective: 0,
      list: 0,
      savings: 0,
      recordCount: 0,
    });
  });

  it('lists distinct providers sorted, without nulls', () => {
    const frame = costFrameOf([
      aFocusRow({ provider: 'b' }),
      aFocusRow({ provider: 'a' }),
      aFocusRow({ provider: 'b' }),
    ]);
    expect(distinctValues(frame, C.provider)).toEqual(['a', 'b']);
  });
});
