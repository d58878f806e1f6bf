import { configProblems } from './testing/config-problems.js';

/** The path settings: a value of spaces named a folder of spaces under the working directory. */
const PATHS = ['DATA_DIR', 'DUCKDB_PATH', 'PGLITE_DIR', 'CONFIGS_DIR', 'ENCRYPTION_KEY_FILE'];

describe('path settings', () => {
  it.each(PATHS)('refuse %s of spaces only, by name', (name) => {
    for (const blank of [' ', '  \t'])
      expect(configProblems({ [name]: blank })).toEqual([
        `${name} is blank (spaces only): set a path, or leave it unset for the default`,
      ]);
  });

  it('take an empty value as unset, and the embedded engines in memory', () => {
    for (const name of PATHS) expect(configProblems({ [name]: '' })).toEqual([]);
    expect(configProblems({ DUCKDB_PATH: ':memory:', PGLITE_DIR: ':memory:' })).toEqual([]);
  });
});
