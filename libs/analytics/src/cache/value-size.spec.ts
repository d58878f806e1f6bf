import { estimateValueBytes, MEASURED_MEMBERS } from './value-size.js';

/** A row of the shape a listing caches: text, numbers and nulls. */
const row = (i: number) => ({
  day: `2025-01-${String((i % 28) + 1).padStart(2, '0')}`,
  cost: i * 1.5,
  note: null,
});
/** The size of one such row, measured alone. */
const rowBytes = estimateValueBytes(row(0));

describe('result size estimate', () => {
  it('counts strings, numbers, objects and arrays member by member', () => {
    expect(estimateValueBytes('abc')).toBe(22);
    expect(estimateValueBytes([1, 'ab', null])).toBe(32 + 8 + 20 + 8);
    expect(estimateValueBytes({ a: 1 })).toBe(48 + 8 + 2 + 8);
    expect(estimateValueBytes(Array.from({ length: MEASURED_MEMBERS }, (_, i) => row(i)))).toBe(
      32 + MEASURED_MEMBERS * rowBytes,
    );
  });

  it('measures a long array of rows of one shape by a sample of them, the estimate unchanged', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => row(i));
    let read = 0;
    const counted = rows.map((r) => ({
      get day() {
        read++;
        return r.day;
      },
      cost: r.cost,
      note: r.note,
    }));

    expect(estimateValueBytes({ rows: counted, total: 100_000 })).toBe(
      48 + (8 + 8 + 32 + 100_000 * rowBytes) + (8 + 10 + 8),
    );
    // Walking every row held the event loop 100-500 ms for a listing of 10,000 rows.
    expect(read).toBe(MEASURED_MEMBERS);
  });

  it('scales a sample of rows of varied sizes to the whole array', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ text: 'x'.repeat(i % 100) }));
    const exact = 32 + rows.reduce((n, r) => n + estimateValueBytes(r), 0);

    expect(Math.abs(estimateValueBytes(rows) - exact) / exact).toBeLessThan(0.02);
  });
});
