import { longestHoldDuring } from '#test/event-loop';
import { largeRawFrame } from '../testing/large-raw-frame.js';
import { prepareCostFrame, prepareCostFrameSync } from './cost-frame.js';

// A cold read prepares the frame the warehouse sent, up to COST_FRAME_MAX_ROWS (2,000,000) rows:
// casts, the category joined back, the money columns measured. Done on the main thread, it held
// the event loop, every tenant's requests, for as long as that took.
describe('prepareCostFrame and the event loop', () => {
  it.each([
    ['hierarchy', 1_000_000],
    ['rows', 250_000],
  ] as const)(
    'prepares a %s frame of %i rows in Polars’ thread pool, to the same frame',
    async (columns, height) => {
      const raw = largeRawFrame(columns, height);
      // What preparing it in place holds the event loop: Polars' pool does the work while the main
      // thread waits, so its CPU time alone would show a few ms.
      const inPlace = await longestHoldDuring(() => prepareCostFrameSync(raw, columns));
      const { value, longestMs } = await longestHoldDuring(() => prepareCostFrame(raw, columns));
      expect(value.frameEqual(inPlace.value, true)).toBe(true);
      expect(value.schema).toEqual(inPlace.value.schema);
      expect(value.height).toBe(height);
      expect(value.nChunks()).toBe(1);
      // Measured 10-80 ms against 250-3,300 ms: what stays on the main thread is a few rows' work
      // between plans (and the collector).
      expect(longestMs).toBeLessThan(inPlace.longestMs / 4);
    },
    120_000,
  );
});
