import pl from 'nodejs-polars';
import { longestHoldDuring } from '#test/event-loop';
import { C, prepareCostFrameSync } from '../frame/cost-frame.js';
import { largeRawFrame } from '../testing/large-raw-frame.js';
import { granularTrend } from './granular.js';

// The granular trend groups a cold period's whole frame (day × provider × category × entity):
// run in place, Polars' pool did it while the main thread waited, every tenant's requests with it.
describe('granularTrend and the event loop', () => {
  it("groups a frame of 500,000 rows in Polars' thread pool, to the same trend", async () => {
    const df = prepareCostFrameSync(largeRawFrame('hierarchy', 500_000), 'hierarchy');
    // The least of three: a turn can still wait on the collector or on a pool thread the loaded
    // machine preempted, the work's own hold is what stays.
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await longestHoldDuring(() => granularTrend(df)));
    const { value } = runs[0]!;
    const longestMs = Math.min(...runs.map((run) => run.longestMs));

    // What the same group-by and sort hold the event loop run in place, as they were, the median
    // of three: measured 60-250 ms, against 12-20 ms for the whole trend (390-540 ms before), what
    // is left on the main thread being its rows' records, a slice at a time.
    const keys = [C.date, C.provider, C.category, C.entityId, C.entityName, C.levelCode, C.path, C.pathNames];
    const inPlace: number[] = [];
    for (let i = 0; i < 3; i++) {
      const held = await longestHoldDuring(() =>
        df.groupBy(keys).agg(pl.col(C.billed).sum(), pl.len()).sort(keys, false, true),
      );
      inPlace.push(held.longestMs);
    }
    const median = inPlace.sort((x, y) => x - y)[1]!;
    expect(value.rows.length).toBeGreaterThan(1_000);
    expect(longestMs).toBeLessThan(median / 2);
  });
});
