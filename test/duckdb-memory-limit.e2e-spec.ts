import { machineMemoryBytes } from '../libs/platform/src/config/memory-limit.js';
import { type DuckDbWarehouse, WAREHOUSE } from '#warehouse';
import { ConfigValidationError } from '#platform';
import { startTestApp } from '#test/test-app';

/** DuckDB's memory_limit as the app's warehouse reports it, in MiB (DuckDB prints `1.0 GiB`, `5.8 GiB`, `512.0 MiB`). */
async function memoryLimitMiB(env: Record<string, string>): Promise<number> {
  const t = await startTestApp({ BOOTSTRAP_ON_START: 'false', ...env });
  try {
    // SELECT current_setting('memory_limit') on the app's own DuckDB instance.
    const limit = await t.app.get<DuckDbWarehouse>(WAREHOUSE).setting('memory_limit');
    const [, amount, unit] = /^([\d.]+) (MiB|GiB)$/.exec(limit) ?? [];
    expect(amount, limit).toBeDefined();
    return Number(amount) * (unit === 'GiB' ? 1024 : 1);
  } finally {
    await t.close();
  }
}

describe('DUCKDB_MEMORY_LIMIT', () => {
  it('reaches the embedded DuckDB as its memory_limit', { timeout: 120_000 }, async () => {
    expect(await memoryLimitMiB({ DUCKDB_MEMORY_LIMIT: '1536MiB' })).toBe(1536);
  });

  it("defaults to a quarter of the machine's memory, not DuckDB's 80%", { timeout: 120_000 }, async () => {
    const quarter = machineMemoryBytes() / 4 / 1024 ** 2;
    // DuckDB prints GiB with one decimal, cut rather than rounded.
    const actual = await memoryLimitMiB({});
    expect(actual).toBeLessThanOrEqual(quarter);
    expect(actual).toBeGreaterThan(quarter - 103);
  });

  // 10^21 TB overflowed DuckDB's 64-bit limit: the start failed with "Failed to set config",
  // blamed on DUCKDB_PATH, naming no setting to fix.
  it('refuses at start, by name, a size past what DuckDB takes', { timeout: 120_000 }, async () => {
    const start = startTestApp({
      BOOTSTRAP_ON_START: 'false',
      DUCKDB_MEMORY_LIMIT: '999999999999999999999TB',
    });
    await expect(start).rejects.toThrow(ConfigValidationError);
    await expect(start).rejects.toThrow(/DUCKDB_MEMORY_LIMIT/);
  });
});
