import { aFocusRow } from '#test/focus-rows';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { listingWindow } from './cost-rows.js';

/** Three days of 3, 1 and 2 rows, newest first: 2025-01-05 (3), 2025-01-04 (1), 2025-01-02 (2). */
const rows = [
  ...[1, 2, 3].map((billedCost) => aFocusRow({ date: '2025-01-05', billedCost })),
  aFocusRow({ date: '2025-01-04' }),
  ...[1, 2].map((billedCost) => aFocusRow({ date: '2025-01-02', billedCost, provider: 'GCP' })),
];

/** The days a page spans and where it starts among their rows, counted over FOCUS or grouped rows alike. */
describe('the window of a listing page', () => {
  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    // The grouped frame holds one row a day here (row_count 3, 1, 2).
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('spans only the days the page reads (%s)', (_, df) => {
    expect(listingWindow(df, 0, 2)).toEqual({ newest: '2025-01-05', oldest: '2025-01-05', offset: 0 });
    expect(listingWindow(df, 0, 3)).toEqual({ newest: '2025-01-05', oldest: '2025-01-05', offset: 0 });
    expect(listingWindow(df, 2, 2)).toEqual({ newest: '2025-01-05', oldest: '2025-01-04', offset: 2 });
    // A page starting on a day's first row starts at that day.
    expect(listingWindow(df, 3, 1)).toEqual({ newest: '2025-01-04', oldest: '2025-01-04', offset: 0 });
    expect(listingWindow(df, 3, 10)).toEqual({ newest: '2025-01-04', oldest: '2025-01-02', offset: 0 });
    expect(listingWindow(df, 5, 1)).toEqual({ newest: '2025-01-02', oldest: '2025-01-02', offset: 1 });
    expect(listingWindow(df, 6, 1)).toBeNull();
    expect(listingWindow(df.head(0), 0, 1)).toBeNull();
  });
});
