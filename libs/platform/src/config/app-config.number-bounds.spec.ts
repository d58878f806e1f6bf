import { configProblems } from './testing/config-problems.js';

const TOO_LARGE = '99999999999999999999';
const LIMIT = 'must not be greater than 9007199254740991';

describe('number settings past 2^53 − 1', () => {
  // 99999999999999999999 was read as 1e20, no longer the number written; COST_FRAME_MAX_ROWS so
  // went into the frame loads' row-count SQL (LIMIT 100000000000000000001) and every cost read
  // failed with a 500, the start none the wiser.
  it('refuses each one by name, all at once', () => {
    expect(
      configProblems({
        COST_FRAME_MAX_ROWS: TOO_LARGE,
        BODY_LIMIT_BYTES: TOO_LARGE,
        NATIVE_MEMORY_GC_MB: '9007199254740992',
      }),
    ).toEqual([`BODY_LIMIT_BYTES ${LIMIT}`, `COST_FRAME_MAX_ROWS ${LIMIT}`, `NATIVE_MEMORY_GC_MB ${LIMIT}`]);
  });

  it('names a setting once, by its own bound when it has a smaller one', () => {
    expect(configProblems({ PORT: TOO_LARGE, BIGQUERY_MAX_BYTES_BILLED: TOO_LARGE })).toEqual([
      'PORT must not be greater than 65535',
      `BIGQUERY_MAX_BYTES_BILLED ${LIMIT}`,
    ]);
  });

  it('takes the largest exact one', () => {
    expect(
      configProblems({ COST_FRAME_MAX_ROWS: '9007199254740991', BODY_LIMIT_BYTES: '9007199254740991' }),
    ).toEqual([]);
  });
});
