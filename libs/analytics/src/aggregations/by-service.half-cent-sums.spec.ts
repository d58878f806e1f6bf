import { aFocusRow } from '#test/focus-rows';
import { toMoney } from '../money.js';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costByService } from './by-service.js';
import { costTotals } from './totals.js';

describe('by service: a service of several units sums to the cent', () => {
  // One service billed in three units: 0.074376752 + 0.034082897 + 0.016540351 = 0.125 exactly,
  // 0.13 half away from zero. Adding the three units' sums (each a Float64 with its nano-unit
  // fraction) came out 0.12499999… in any order, and its cents down (0.12).
  const rows = [
    ['input tokens', 0.074376752, 0.034082897],
    ['output tokens', 0.034082897, 0.016540351],
    ['requests', 0.016540351, 0.074376752],
  ].map(([unit, billedCost, effectiveCost]) =>
    aFocusRow({
      serviceName: 'GPT-4o',
      consumedUnit: unit as string,
      consumedQuantity: 1,
      billedCost: billedCost as number,
      effectiveCost: effectiveCost as number,
    }),
  );

  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('rounds the exact sums once, as the totals do (%s)', (_, frame) => {
    const [service] = costByService(frame);
    expect(toMoney(service!.billed)).toBe(0.13);
    expect(toMoney(service!.effective)).toBe(0.13);
    expect(toMoney(service!.savings)).toBe(0);
    expect(toMoney(service!.billed)).toBe(toMoney(costTotals(frame).billed));
    expect(service!.percentage).toBe(100);
  });

  it('takes savings as the exact difference of billed and effective (1.274586265 − 0.449586265 = 0.825)', () => {
    const frame = costFrameOf([
      aFocusRow({
        serviceName: 'Compute',
        consumedUnit: 'Hours',
        billedCost: 1.274586265,
        effectiveCost: 0.449586265,
      }),
    ]);
    expect(toMoney(costByService(frame)[0]!.savings)).toBe(0.83);
  });
});
