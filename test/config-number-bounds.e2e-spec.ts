import { ConfigValidationError } from '#platform';
import { startTestApp } from '#test/test-app';

describe('a number setting past 2^53 − 1', () => {
  // Read as 1e20, COST_FRAME_MAX_ROWS went into the frame loads' row-count SQL and every cost read
  // of the started app failed with a 500 (WAREHOUSE_QUERY_FAILED).
  it('stops the start, naming it', { timeout: 120_000 }, async () => {
    const start = startTestApp({ COST_FRAME_MAX_ROWS: '99999999999999999999' });
    await expect(start).rejects.toThrow(ConfigValidationError);
    await expect(start).rejects.toThrow(/COST_FRAME_MAX_ROWS must not be greater than 9007199254740991/);
  });
});
