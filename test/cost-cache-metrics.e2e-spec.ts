import type { LevelStats } from '#analytics';
import { seededOrg } from '#test/costs-harness';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const LEVELS = ['frames', 'results', 'responses'] as const;

/** The value of each `name{level="…"}` sample of a Prometheus text exposition, by level. */
function byLevel(text: string, name: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{level="(\\w+)"\\} (\\S+)$`, 'gm')))
    values[m[1]!] = Number(m[2]);
  return values;
}

/**
 * The cost cache in /metrics: a scraper sees each level's hits, misses, evictions, entries and
 * bytes, as /cache/stats shows them to the root key, without a key of its own.
 */
describe('cost cache metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '100000' });
  });
  afterAll(() => t.close());

  it("exposes each level's counters and occupancy, as /cache/stats counts them for the instance", async () => {
    const { org, headers } = await seededOrg(t);
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/costs/${org}/summary?start_date=2024-06-01&end_date=2024-06-30`,
        headers,
      });
      expect(res.statusCode).toBe(200);
    }
    const stats = (
      await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}/cache/stats`, headers: rootHeaders })
    ).json<Record<(typeof LEVELS)[number], LevelStats>>();
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    const expected = (field: keyof LevelStats) =>
      Object.fromEntries(LEVELS.map((level) => [level, stats[level][field]]));
    expect(byLevel(text, 'cost_cache_hits_total')).toEqual(expected('hits'));
    expect(byLevel(text, 'cost_cache_misses_total')).toEqual(expected('misses'));
    expect(byLevel(text, 'cost_cache_evictions_total')).toEqual(expected('evictions'));
    expect(byLevel(text, 'cost_cache_expirations_total')).toEqual(expected('expirations'));
    expect(byLevel(text, 'cost_cache_invalidations_total')).toEqual(expected('invalidations'));
    expect(byLevel(text, 'cost_cache_entries')).toEqual(expected('size'));
    expect(byLevel(text, 'cost_cache_bytes')).toEqual(expected('memory_bytes'));
    expect(byLevel(text, 'cost_cache_max_bytes')).toEqual(expected('max_memory_bytes'));
    // The reads did reach the cache: a miss then hits at the result and response levels.
    expect(stats.results.misses).toBeGreaterThan(0);
    expect(stats.responses.hits + stats.results.hits).toBeGreaterThan(0);
    expect(stats.frames.memory_bytes).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE cost_cache_hits_total counter$/m);
    expect(text).toMatch(/^# TYPE cost_cache_bytes gauge$/m);
  });
});
