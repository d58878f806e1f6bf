import type { Redis } from 'ioredis';
import { closeRedis, createRedis } from '../redis/redis-connection.js';
import { AuthFailureLimiter, type LookupTicket } from './auth-failure-limiter.js';
import { SharedAuthFailures } from './shared-auth-failures.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const prefix = `test:auth-failures:${process.pid}:${Date.now()}`;

describe.skipIf(!REDIS_URL)('SharedAuthFailures (Redis)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = createRedis(REDIS_URL!, { name: 'auth-failures-spec' });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
  });

  it('holds two instances to one budget: failures and lookups in flight of both count', async () => {
    const [a, b] = [1, 2].map(
      () => new AuthFailureLimiter(3, Date.now, new SharedAuthFailures(redis, prefix, 60_000)),
    );
    const ip = '192.0.2.10';
    const first = await a.admitLookup(ip);
    const second = await b.admitLookup(ip);
    (first as LookupTicket).end(true);
    (second as LookupTicket).end(false);
    const third = (await b.admitLookup(ip)) as LookupTicket;
    // One failure and one lookup in flight: one more may start, on either instance.
    const fourth = await a.startEarlyLookup(ip);
    expect(fourth).toBeDefined();
    expect(await b.startEarlyLookup(ip)).toBeUndefined();
    third.end(true);
    // Two failures and a's lookup in flight: a waits for it, and once it fails the address is out.
    const waiting = a.admitLookup(ip);
    fourth!.end(true);
    expect(await waiting).toMatchObject({ code: 'RATE_LIMITED' });
    await redis.ping(); // b's answer comes from Redis, where a's settles were sent before
    expect(await b.admitLookup(ip)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(b.retryAfterSeconds(ip)).toBeGreaterThan(0);
  });

  it('starts a lookup on its own count once reservations nobody settled have filled the budget for a while', async () => {
    const shared = new SharedAuthFailures(redis, prefix, 60_000);
    const ip = '192.0.2.13';
    // Two lookups of an instance that died before it could settle them.
    for (let i = 0; i < 2; i++) expect(await shared.reserve(ip, 2)).toMatchObject({ admitted: true });
    let clock = 1_000_000;
    const limiter = new AuthFailureLimiter(2, () => (clock += 1_000), shared);
    expect(await limiter.startEarlyLookup(ip)).toBeUndefined();
    const ticket = await limiter.admitLookup(ip);
    expect(ticket).toHaveProperty('end');
    (ticket as LookupTicket).end(true);
    expect(limiter.retryAfterSeconds(ip)).toBe(0);
  });

  it("settles nothing into a window that is not the reservation's", async () => {
    const shared = new SharedAuthFailures(redis, prefix, 60_000);
    const ip = '192.0.2.11';
    const answer = await shared.reserve(ip, 5);
    expect(answer).toMatchObject({ admitted: true, failures: 0 });
    await redis.del(`${prefix}:{${ip}}`);
    await shared.recordFailure(ip);
    if (!answer?.admitted) throw new Error('not admitted');
    expect(await shared.settle(answer.reservation, true)).toEqual({ failures: 0, msLeft: 0 });
    expect(await redis.hgetall(`${prefix}:{${ip}}`)).toMatchObject({ f: '1', p: '0' });
  });
});

describe('SharedAuthFailures while Redis is unreachable', () => {
  it('lets the instance count on its own at once', async () => {
    // Nothing listens on port 1: the connection is refused and retried in the background.
    const redis = createRedis('redis://127.0.0.1:1', { name: 'auth-failures-offline' });
    try {
      const limiter = new AuthFailureLimiter(2, Date.now, new SharedAuthFailures(redis, prefix, 60_000));
      for (let i = 0; i < 2; i++) ((await limiter.admitLookup('192.0.2.12')) as LookupTicket).end(true);
      expect(await limiter.admitLookup('192.0.2.12')).toMatchObject({ code: 'RATE_LIMITED' });
      expect(limiter.retryAfterSeconds('192.0.2.12')).toBeGreaterThan(0);
    } finally {
      await closeRedis(redis);
    }
  });
});
