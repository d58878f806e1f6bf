import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costRows } from './cost-rows.js';

// A listed cost is the decimal the warehouse holds (NUMERIC, 9 decimals) as the nearest JSON
// number, for every cost the import admits (up to 1e12 in absolute value). The specs' costs are
// written as decimal text: a literal of more digits than a double holds would be rounded anyway.
describe('listed rows of large costs', () => {
  const listed = async (billedCost: number, effectiveCost = billedCost, listCost = billedCost) =>
    (
      await costRows(costFrameOf([aFocusRow({ date: '2025-01-01', billedCost, effectiveCost, listCost })]))
    )[0]!;
  /** The 9 decimals the factory (as the warehouse) keeps of a cost, in nano-units. */
  const nanos = (value: number) => BigInt(value.toFixed(9).replace('.', ''));
  const decimal = (n: bigint) => {
    const abs = n < 0n ? -n : n;
    return `${n < 0n ? '-' : ''}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
  };

  it.each([
    '999999999999.5',
    '12345678.123456789',
    '-9007199.254740993',
    '10000000000',
    '-1000000000000',
    '987654321098.765432',
  ])('lists %s as the number nearest its decimal', async (text) => {
    const cost = Number(text);
    const row = await listed(cost, 0, cost);
    const expected = Number(decimal(nanos(cost)));
    expect(row.BilledCost).toBe(expected);
    expect(row.ListCost).toBe(expected);
    expect(row.EffectiveCost).toBe(0);
    expect(row.Savings).toBe(expected);
  });

  it('lists savings as the difference of the decimals, not of their nearest numbers', async () => {
    for (const [billed, effective] of [
      ['123456789.123456789', '0.000000007'],
      ['98765432.1', '98765431.987654321'],
      ['1000000000000', '0.000000001'],
    ].map((pair) => pair.map(Number) as [number, number]))
      expect((await listed(billed, effective)).Savings).toBe(
        Number(decimal(nanos(billed) - nanos(effective))),
      );
    expect((await listed(-1e12, 1e12)).Savings).toBe(-2e12);
  });
});
