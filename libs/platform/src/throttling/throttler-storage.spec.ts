import { ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { cuttableRelay } from '#test/redis-relay';
import { closeRedis, createRedis } from '../redis/redis-connection.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';
import { RETRY_AFTER_FAILURE_MS, RedisThrottlerStorage } from './redis-throttler.storage.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const prefix = `test:throttle:${process.pid}:${Date.now()}`;

type Step = { wait?: number; throttler?: string };
type Limits = { ttl: number; limit: number; blockDuration: number };

let redis: Redis | undefined;
beforeAll(() => {
  if (REDIS_URL) redis = createRedis(REDIS_URL, { name: 'throttler-spec' });
});
afterAll(async () => {
  if (!redis) return;
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await closeRedis(redis);
});

/**
 * Our two storages: in process always, Redis when the machine's Redis is given. Each is stopped
 * after its tests: a sweeper interval left running fires in the files the worker runs next.
 */
const storages: { name: string; make: () => { storage: ThrottlerStorage; stop: () => unknown } }[] = [
  {
    name: 'MemoryThrottlerStorage',
    make: () => {
      const storage = new MemoryThrottlerStorage();
      return { storage, stop: () => storage.onApplicationShutdown() };
    },
  },
  ...(REDIS_URL
    ? [
        {
          name: 'RedisThrottlerStorage',
          make: () => {
            const storage = new RedisThrottlerStorage(redis!, { prefix });
            return { storage, stop: () => storage.onModuleDestroy() };
          },
        },
      ]
    : []),
];

describe.each(storages)('$name, side by side with the package in-memory storage', ({ make }) => {
  let storage: ThrottlerStorage;
  let stop: () => unknown;
  let memory: ThrottlerStorageService;
  let keyCount = 0;
  const nextKey = () => `key-${++keyCount}`;

  beforeAll(() => {
    ({ storage, stop } = make());
  });
  afterAll(() => stop());

  beforeEach(() => {
    memory = new ThrottlerStorageService();
  });

  afterEach(() => {
    memory.onApplicationShutdown();
  });

  /**
   * Runs the same hits against both storages, side by side. The in-memory storage reports a large
   * negative timeToBlockExpire when not blocked (the guard ignores it); both are compared as 0 then.
   */
  async function sideBySide(limits: Limits, steps: Step[]) {
    const key = nextKey();
    const results = [];
    for (const step of steps) {
      if (step.wait) await sleep(step.wait);
      const name = step.throttler ?? 'default';
      const args = [key, limits.ttl, limits.limit, limits.blockDuration, name] as const;
      const [fromMemory, fromRedis] = await Promise.all([
        memory.increment(...args),
        storage.increment(...args),
      ]);
      const normalize = (r: typeof fromMemory) => ({
        ...r,
        timeToBlockExpire: r.isBlocked ? r.timeToBlockExpire : 0,
      });
      results.push({ memory: normalize(fromMemory), redis: normalize(fromRedis) });
    }
    return results;
  }

  it('counts hits and blocks on the one past the limit, exactly as the in-memory storage does', async () => {
    const results = await sideBySide({ ttl: 5_000, limit: 3, blockDuration: 10_000 }, Array(6).fill({}));

    for (const { memory: m, redis: r } of results) expect(r).toEqual(m);
    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, false, 0],
      [4, true, 10],
      [4, true, 10],
      [4, true, 10],
    ]);
    expect(results.every(({ redis: r }) => r.timeToExpire === 5)).toBe(true);
  });

  it('starts again from one hit once the block is over, like the in-memory storage', async () => {
    const results = await sideBySide({ ttl: 10_000, limit: 1, blockDuration: 300 }, [
      {},
      {},
      { wait: 400 },
      {},
    ]);

    for (const { memory: m, redis: r } of results) expect(r).toEqual(m);
    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, true, 1],
      [1, false, 0],
      [2, true, 1],
    ]);
  });

  it('forgets the hits when the window expires', async () => {
    const results = await sideBySide({ ttl: 300, limit: 2, blockDuration: 300 }, [{}, {}, { wait: 400 }, {}]);

    for (const { memory: m, redis: r } of results) expect(r).toEqual(m);
    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked, r.timeToExpire])).toEqual([
      [1, false, 1],
      [2, false, 1],
      [1, false, 1],
      [2, false, 1],
    ]);
  });

  it('keeps blocking for the block duration after the window has expired', async () => {
    const results = await sideBySide({ ttl: 300, limit: 1, blockDuration: 1_000 }, [
      {},
      {},
      { wait: 400 },
      { wait: 800 },
    ]);

    for (const { memory: m, redis: r } of results) expect(r).toEqual(m);
    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, true, 1],
      [0, true, 1],
      [1, false, 0],
    ]);
  });

  it('with blockDuration 0 refuses hits at the limit without counting them', async () => {
    const results = await sideBySide({ ttl: 5_000, limit: 2, blockDuration: 0 }, Array(4).fill({}));

    for (const { memory: m, redis: r } of results) expect(r).toEqual(m);
    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, true, 5],
      [3, true, 5],
    ]);
  });

  it('keeps separate throttler names independent for the same key', async () => {
    const results = await sideBySide({ ttl: 5_000, limit: 1, blockDuration: 5_000 }, [
      { throttler: 'short' },
      { throttler: 'short' },
      { throttler: 'long' },
      { throttler: 'long' },
    ]);

    expect(results.map(({ redis: r }) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, true],
      [1, false],
      [2, true],
    ]);
  });

  it('gives 200 concurrent hits the totals 1..200, each exactly once', async () => {
    const key = nextKey();
    const records = await Promise.all(
      Array.from({ length: 200 }, () => storage.increment(key, 10_000, 1_000, 10_000, 'default')),
    );

    const totals = records.map((r) => r.totalHits).sort((a, b) => a - b);
    expect(totals).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(records.some((r) => r.isBlocked)).toBe(false);
  });

  it('admits exactly the limit under 200 concurrent hits', async () => {
    const key = nextKey();
    const records = await Promise.all(
      Array.from({ length: 200 }, () => storage.increment(key, 10_000, 50, 10_000, 'default')),
    );

    expect(records.filter((r) => !r.isBlocked)).toHaveLength(50);
    expect(records.filter((r) => r.isBlocked).every((r) => r.totalHits === 51)).toBe(true);
  });
});

describe.skipIf(!REDIS_URL)('RedisThrottlerStorage across instances', () => {
  let storage: RedisThrottlerStorage;
  let keyCount = 0;
  const nextKey = () => `shared-${++keyCount}`;

  beforeAll(() => {
    storage = new RedisThrottlerStorage(redis!, { prefix });
  });
  afterAll(() => storage.onModuleDestroy());

  it('keeps each throttler name under a key of its own', async () => {
    const key = nextKey();
    await storage.increment(key, 5_000, 1, 5_000, 'short');
    await storage.increment(key, 5_000, 1, 5_000, 'long');
    expect(await redis!.exists(`${prefix}:short:{${key}}:hits`, `${prefix}:long:{${key}}:hits`)).toBe(2);
  });

  it('shares the counts between two storages on separate connections (two instances)', async () => {
    const key = nextKey();
    const other = new RedisThrottlerStorage(REDIS_URL ?? '', { prefix });
    try {
      await storage.increment(key, 5_000, 2, 5_000, 'default');
      await other.increment(key, 5_000, 2, 5_000, 'default');
      const third = await storage.increment(key, 5_000, 2, 5_000, 'default');
      expect([third.totalHits, third.isBlocked]).toEqual([3, true]);
    } finally {
      await other.onModuleDestroy();
    }
  });

  it('leaves a client it was given open on module destroy', async () => {
    const borrowing = new RedisThrottlerStorage(redis!, { prefix });
    await borrowing.onModuleDestroy();
    expect(await redis!.ping()).toBe('PONG');
  });
});

describe('MemoryThrottlerStorage over time', () => {
  it('keeps one entry per key and name however many hits, and forgets it after the window', async () => {
    let now = 1_000_000;
    const storage = new MemoryThrottlerStorage(() => now);
    for (let i = 0; i < 100_000; i++) await storage.increment('busy', 60_000, 1_000_000, 0, 'reads');
    const last = await storage.increment('busy', 60_000, 1_000_000, 0, 'reads');
    expect([last.totalHits, last.isBlocked, storage.size]).toEqual([100_001, false, 1]);
    now += 60_000;
    expect((await storage.increment('busy', 60_000, 1_000_000, 0, 'reads')).totalHits).toBe(1);
    storage.onApplicationShutdown();
  });
});

describe('RedisThrottlerStorage while Redis is unreachable', () => {
  it('counts in memory, so the limits still hold on this instance, without waiting on Redis', async () => {
    // Nothing listens on port 1: the connection is refused and retried in the background.
    const storage = new RedisThrottlerStorage('redis://127.0.0.1:1', { prefix });
    try {
      const records = [];
      for (let i = 0; i < 3; i++)
        records.push(await storage.increment('offline', 60_000, 2, 60_000, 'reads'));
      expect(records.map((r) => [r.totalHits, r.isBlocked])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      expect(records[2].timeToBlockExpire).toBe(60);
    } finally {
      await storage.onModuleDestroy();
    }
  });
});

describe.skipIf(!REDIS_URL)('RedisThrottlerStorage while Redis stops answering on an open connection', () => {
  it('asks it again with one request at a time, the others counted in memory at once meanwhile', async () => {
    const relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
    const storage = new RedisThrottlerStorage(relay.url, { prefix });
    try {
      const hit = async () => {
        const started = Date.now();
        await storage.increment('stalled', 60_000, 1_000, 60_000, 'reads');
        return Date.now() - started;
      };
      await hit();
      relay.stall();
      // The first request learns it: it waits out the command timeout (a second).
      expect(await hit()).toBeGreaterThanOrEqual(900);
      await sleep(RETRY_AFTER_FAILURE_MS + 100);
      // Time to ask Redis again: one request does, and waits; those arriving meanwhile do not.
      const waits = await Promise.all(Array.from({ length: 10 }, hit));
      expect(waits.filter((ms) => ms >= 900)).toHaveLength(1);
      // Answering again: the first request after the retry delay is counted in Redis again.
      relay.resume();
      await sleep(RETRY_AFTER_FAILURE_MS + 100);
      const shared = await storage.increment('stalled', 60_000, 1_000, 60_000, 'reads');
      expect(shared.totalHits).toBe(Number(await redis!.hget(`${prefix}:reads:{stalled}:hits`, 'n')));
    } finally {
      await storage.onModuleDestroy();
      await relay.close();
    }
  }, 30_000);
});
