import type { CostCacheStats, LevelStats } from '#analytics';
import { CostsRepository } from '../apps/api/src/costs/costs.repository.js';
import { CostCacheOptionsModule, FakeClock, onTwoInstances, seededOrg, until } from '#test/costs-harness';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const REDIS_URL = process.env.TEST_REDIS_URL;

function client(t: TestApp, org: string, headers: Record<string, string>) {
  return {
    async get(path: string) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}${path}`, headers });
      expect(res.statusCode).toBe(200);
      return res.json() as { cache_hit: boolean; summary: Record<string, unknown> };
    },
    async stats(): Promise<CostCacheStats & { scope: string; responses: LevelStats }> {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/costs/${org}/cache/stats`, headers });
      return res.json() as CostCacheStats & { scope: string; responses: LevelStats };
    },
    async invalidate() {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/costs/${org}/cache/invalidate`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      return res.json() as {
        message: string;
        invalidated: { frames: number; results: number; responses: number; total: number };
      };
    },
  };
}

describe('cost cache through the real app', () => {
  const clock = new FakeClock(Date.parse('2025-03-10T12:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      // Two frame loads at once on the instance, one org's one at a time (all but one of them).
      { RATE_LIMIT_READS_PER_MINUTE: '100000', COST_FRAME_LOADS_MAX: '2' },
      { imports: [CostCacheOptionsModule.with({ clock })] },
    );
  });

  afterAll(async () => {
    await t.close();
  });

  beforeEach(() => clock.set('2025-03-10T12:00:00Z'));

  it('answers a repeated read from memory, and other widgets of the period from the same frame', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const before = (await c.stats()).frames.loads;
    const first = await c.get('/summary');
    const second = await c.get('/summary');
    const widget = await c.get('/by-provider');
    expect([first.cache_hit, second.cache_hit, widget.cache_hit]).toEqual([false, true, true]);
    expect(second.summary).toEqual(first.summary);
    expect((await c.stats()).frames.loads - before).toBe(1);
  });

  it("loads a period, and the org's settings, once for concurrent cold reads of one column set", async () => {
    // Unfiltered aggregations read the narrowest frame, hierarchy reads one with the hierarchy
    // columns, the row listings the full one: each set of routes, at once, shares one query.
    const aggregates = ['/summary', '/by-provider', '/by-service', '/total'];
    const hierarchy = [
      '/summary?department_id=DEPT-1',
      '/by-service?hierarchy_path=/DEPT-1',
      '/total?project_id=PROJ-1',
    ];
    const listings = ['', '/subscriptions', '/cloud', '/genai', '?limit=5'];
    const profiles = vi.spyOn(t.app.get(CostsRepository), 'profile');
    for (const routes of [aggregates, hierarchy, listings]) {
      const { org, headers } = await seededOrg(t);
      const c = client(t, org, headers);
      const before = (await c.stats()).frames;
      profiles.mockClear();
      await Promise.all([...routes, ...routes].map((r) => c.get(r)));
      expect((await c.stats()).frames.loads - before.loads).toBe(1);
      expect(profiles).toHaveBeenCalledTimes(1);
    }
    profiles.mockRestore();
    // Three orgs onboarded and seeded: ~11 s alone, over 30 s on the 2-core machine under load.
  }, 90_000);

  it('loads distinct periods read at once one after the other, within COST_FRAME_LOADS_MAX', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const before = (await c.stats()).frames;
    const days = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'];
    const running = { now: 0, peak: 0 };
    const repository = t.app.get(CostsRepository);
    const loadFrame = repository.loadFrame.bind(repository);
    const spy = vi.spyOn(repository, 'loadFrame').mockImplementation(async (...args) => {
      running.peak = Math.max(running.peak, ++running.now);
      try {
        return await loadFrame(...args);
      } finally {
        running.now--;
      }
    });
    const reads = await Promise.all(days.map((d) => c.get(`/summary?start_date=${d}&end_date=${d}`)));
    spy.mockRestore();
    for (const read of reads) expect(read.summary.record_count).toEqual(expect.any(Number));
    const after = (await c.stats()).frames;
    expect(after.loads - before.loads).toBe(4);
    expect(after.waited - before.waited).toBe(3);
    expect(running.peak).toBe(1);
  });

  it('serves the aggregations from a full frame already loaded, without a second query', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const before = (await c.stats()).frames;
    await c.get('');
    await Promise.all(
      ['/summary', '/by-service', '/total', '/summary?hierarchy_path=/DEPT-1'].map((r) => c.get(r)),
    );
    expect((await c.stats()).frames.loads - before.loads).toBe(1);
  });

  it('loads the hierarchy columns only for a read that needs them, then serves both from them', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const before = (await c.stats()).frames;
    const plain = await c.get('/summary');
    const filtered = await c.get('/summary?department_id=DEPT-1');
    expect([plain.cache_hit, filtered.cache_hit]).toEqual([false, false]);
    const after = await c.stats();
    expect(after.frames.loads - before.loads).toBe(2);
    // The wider frame replaced the narrow one of the same period.
    expect(after.frames.size - before.size).toBe(1);
    expect((await c.get('/by-provider')).cache_hit).toBe(true);
    expect((await c.stats()).frames.loads - before.loads).toBe(2);
  });

  it('drops every entry of the org on invalidate, reports how many, and reloads after', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    await c.get('/summary');
    await c.get('/by-service');
    await c.get('/trend');
    const body = await c.invalidate();
    // One frame (the fiscal year, which also covers the 30-day trend window), three results, and
    // the three responses kept from them.
    expect(body.invalidated).toEqual({ frames: 1, results: 3, responses: 3, total: 7 });
    expect(body.message).toBe(`Invalidated 7 cache entries for ${org}`);
    expect((await c.get('/summary')).cache_hit).toBe(false);
    expect((await c.invalidate()).invalidated).toMatchObject({ responses: 1, total: 3 });
  });

  it('takes a key that may write to invalidate: a read-only key reads and sees the counters only', async () => {
    const { org, headers } = await seededOrg(t, 10, { scopes: ['org:read'] });
    const c = client(t, org, headers);
    await c.get('/summary');
    expect((await c.stats()).results.size).toBeGreaterThan(0);
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/costs/${org}/cache/invalidate`,
      headers,
    });
    expect({ status: refused.statusCode, code: refused.json().code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
    expect((await c.get('/summary')).cache_hit).toBe(true);
  });

  it('keeps a past period until the next UTC midnight and a period including today for a minute', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const february = '/summary?start_date=2025-02-01&end_date=2025-02-28';
    clock.set('2025-03-10T23:59:00Z');
    expect((await c.get(february)).cache_hit).toBe(false);
    expect((await c.get('/summary')).cache_hit).toBe(false);
    clock.set('2025-03-10T23:59:59.999Z');
    expect((await c.get(february)).cache_hit).toBe(true);
    expect((await c.get('/summary')).cache_hit).toBe(true);
    clock.set('2025-03-11T00:00:00Z');
    expect((await c.get(february)).cache_hit).toBe(false);
    clock.set('2025-03-11T00:00:59Z');
    expect((await c.get('/summary')).cache_hit).toBe(false);
  });

  it('reports only live entries once they expire, at every level, and has nothing left to invalidate', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    const february = '/summary?start_date=2025-02-01&end_date=2025-02-28';
    await c.get(february);
    await c.get('/summary');
    const before = await c.stats();
    for (const level of [before.frames, before.results, before.responses])
      expect(level.size).toBeGreaterThan(0);

    // Every entry of this app, of any test, has expired by then (the latest at the next midnight).
    clock.set('2025-04-01T00:00:00Z');
    const after = await c.stats();
    for (const level of [after.frames, after.results, after.responses])
      expect([level.size, level.memory_bytes, level.memory_utilization]).toEqual([0, 0, 0]);
    expect(after.frames.expirations - before.frames.expirations).toBe(before.frames.size);
    expect(after.results.expirations - before.results.expirations).toBe(before.results.size);
    expect((await c.invalidate()).invalidated).toEqual({ frames: 0, results: 0, responses: 0, total: 0 });
  });

  it('reports hits, misses, evictions and bytes per level', async () => {
    const { org, headers } = await seededOrg(t);
    const c = client(t, org, headers);
    await c.get('/summary');
    await c.get('/by-provider'); // the summary's frame
    await c.get('/summary?department_id=DEPT-1');
    await c.get('/summary?department_id=DEPT-1');
    const stats = await c.stats();
    for (const level of [stats.frames, stats.results]) {
      expect(level.hits).toBeGreaterThan(0);
      expect(level.misses).toBeGreaterThan(0);
      expect(level.memory_bytes).toBeGreaterThan(0);
      expect(level.memory_bytes).toBeLessThanOrEqual(level.max_memory_bytes);
      expect(level).toHaveProperty('evictions');
    }
    expect(stats.frames.max_memory_bytes).toBe(512 * 1024 * 1024);
    expect(stats.results.max_size).toBe(5000);
  });

  it("shows an org's key its own org's counters and entries, the root key the whole instance's", async () => {
    const a = await seededOrg(t);
    const b = await seededOrg(t);
    const [ca, cb] = [client(t, a.org, a.headers), client(t, b.org, b.headers)];
    await ca.get('/summary');
    await ca.get('/summary');
    const own = await ca.stats();
    expect(own.scope).toBe('organization');
    expect(own.frames).toMatchObject({ size: 1, misses: 1, loads: 1, hits: 0 });
    expect(own.results).toMatchObject({ size: 1, misses: 1, hits: 1 });
    expect(own.responses).toMatchObject({ size: 1, hits: 1 });
    expect(own.frames.memory_bytes).toBeGreaterThan(0);

    // Another org's reads and invalidations are none of its business.
    await cb.get('/summary');
    await cb.get('/by-provider');
    await cb.get('/summary?department_id=DEPT-1');
    await cb.invalidate();
    await cb.get('/summary');
    expect(await ca.stats()).toEqual(own);
    const other = await cb.stats();
    // Its three reads' frames (the hierarchy one covering the first) and results, then the reload.
    expect(other.frames).toMatchObject({ loads: 3, invalidations: 1, size: 1 });
    expect(other.results).toMatchObject({ misses: 4, invalidations: 3, size: 1 });

    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/costs/${a.org}/cache/stats`,
      headers: rootHeaders,
    });
    const instance = res.json() as typeof own;
    expect(instance.scope).toBe('instance');
    for (const level of ['frames', 'results', 'responses'] as const) {
      expect(instance[level].size).toBeGreaterThanOrEqual(own[level].size + other[level].size);
      expect(instance[level].hits).toBeGreaterThanOrEqual(own[level].hits + other[level].hits);
      expect(instance[level].misses).toBeGreaterThanOrEqual(own[level].misses + other[level].misses);
      expect(instance[level].memory_bytes).toBeGreaterThanOrEqual(
        own[level].memory_bytes + other[level].memory_bytes,
      );
    }
  });
});

describe('cost cache byte bound through the real app', () => {
  it('evicts frames to stay under the configured bytes', async () => {
    const clock = new FakeClock(Date.parse('2025-03-10T12:00:00Z'));
    // A month of these rows is a (narrow) frame of about 11.5 kB: room for two of the eight months.
    const bound = 30_000;
    const t = await startTestApp(
      { RATE_LIMIT_READS_PER_MINUTE: '100000' },
      { imports: [CostCacheOptionsModule.with({ clock, frameMaxBytes: bound })] },
    );
    try {
      const { org, headers } = await seededOrg(t, 3000);
      const c = client(t, org, headers);
      for (const month of ['01', '02', '03', '04', '05', '06', '07', '08'])
        await c.get(`/summary?start_date=2024-${month}-01&end_date=2024-${month}-28`);
      const frames = (await c.stats()).frames;
      expect(frames.evictions).toBeGreaterThan(0);
      expect(frames.memory_bytes).toBeLessThanOrEqual(bound);
      expect(frames.size).toBeLessThanOrEqual(3);
      expect(frames.evictions + frames.size).toBe(8);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!REDIS_URL)('cost cache invalidation across instances (Redis)', () => {
  it('drops the org on the other instance when one instance invalidates it', async () => {
    await onTwoInstances(REDIS_URL!, async ({ a, b, org, headers }) => {
      const ca = client(a, org, headers);
      const cb = client(b, org, rootHeaders);
      await ca.get('/summary');
      await cb.get('/summary');
      expect((await cb.get('/summary')).cache_hit).toBe(true);

      await ca.invalidate();
      await until(async () => (await cb.stats()).frames.invalidations > 0);

      expect((await cb.stats()).frames.invalidations).toBe(1);
      expect((await cb.get('/summary')).cache_hit).toBe(false);
      expect((await ca.get('/summary')).cache_hit).toBe(false);
    });
    // Two app instances started and seeded: well past the default test timeout on a busy machine.
  }, 120_000);

  it('keeps deployments that share the Redis server apart by REDIS_KEY_PREFIX', async () => {
    const apart = { REDIS_KEY_PREFIX: `finops:other-deployment-${process.pid}` };
    await onTwoInstances(
      REDIS_URL!,
      async ({ a, b, org, headers }) => {
        const ca = client(a, org, headers);
        const cb = client(b, org, rootHeaders);
        await cb.get('/summary');
        await ca.invalidate();
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect((await cb.stats()).frames.invalidations).toBe(0);
        expect((await cb.get('/summary')).cache_hit).toBe(true);
      },
      apart,
    );
    // Two app instances started and seeded: well past the default test timeout on a busy machine.
  }, 120_000);
});
