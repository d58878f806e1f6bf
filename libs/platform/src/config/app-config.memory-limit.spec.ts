import { loadAppConfig } from './app-config.js';
import { machineMemoryBytes, memoryLimitBytes } from './memory-limit.js';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

const MESSAGE =
  'DUCKDB_MEMORY_LIMIT must be a size of at least 64 MiB and at most 1 PiB (2GiB, 1500MB) or a share of the machine memory from 1% to 90% (25%)';

describe('DUCKDB_MEMORY_LIMIT', () => {
  it('refuses what is neither a size nor a share of the memory, and what DuckDB could not work in', () => {
    for (const value of [
      'lots',
      '2G',
      '1073741824',
      '0%',
      '95%',
      '100%',
      '0GB',
      '16MiB',
      '-1GB',
      '2 GiB extra',
      // Past 1 PiB: 2^64 bytes and more overflowed DuckDB's setting ("Failed to set config", at start).
      '1025TiB',
      '20000000TB',
      '999999999999999999999TB',
    ])
      expect(configProblems({ DUCKDB_MEMORY_LIMIT: value }), value).toEqual([MESSAGE]);
  });

  it('reads sizes in decimal and binary units, and shares of the memory, as whole MiB', () => {
    const limit = (value: string) =>
      loadAppConfig({ DATA_DIR: tmpDataDir(), DUCKDB_MEMORY_LIMIT: value }).duckdbMemoryLimit;
    expect(limit('2GiB')).toBe('2048MiB');
    expect(limit(' 1.5 gib ')).toBe('1536MiB');
    expect(limit('1000MB')).toBe('953MiB');
    expect(limit('1024TiB')).toBe(`${1024 ** 3}MiB`);
    expect(limit('10%')).toBe(`${Math.floor((machineMemoryBytes() * 0.1) / 1024 ** 2)}MiB`);
    expect(memoryLimitBytes('25%', 8 * 1024 ** 3)).toBe(2 * 1024 ** 3);
    expect(memoryLimitBytes('90%', 1024 ** 3)).toBe(Math.floor(0.9 * 1024 ** 3));
  });
});
