import { RedisInvalidationBus } from '#platform';
import { cuttableRelay, until } from '#test/redis-relay';
import { type CachedStatus, PipelineStatusCache } from './pipeline-status.cache.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const DAY = '2026-12-06';
const STATUS: CachedStatus = { org_slug: 'acme', check_date: DAY, pipelines: {} };

describe.skipIf(!REDIS_URL)('daily pipeline status of an instance that lost Redis', () => {
  const prefix = `test:status-reconnect:${process.pid}:${Date.now()}`;
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;
  const buses: RedisInvalidationBus[] = [];

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await relay?.close();
  });

  it('keeps no answer from before its reconnect: a trigger elsewhere meanwhile went unheard', async () => {
    relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
    buses.push(new RedisInvalidationBus(relay.url, { prefix, name: `${prefix}:cut` }));
    buses.push(new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:other` }));
    const [cutOff, other] = buses.map((bus) => new PipelineStatusCache(bus)) as [
      PipelineStatusCache,
      PipelineStatusCache,
    ];
    await Promise.all(buses.map((b) => b.whenSubscribed()));
    cutOff.set('acme', DAY, STATUS, cutOff.mark());

    relay.cut();
    await new Promise((r) => setTimeout(r, 300));
    // A trigger on the other instance: its invalidation reaches Redis, not the instance cut off.
    await other.invalidateOrg('acme');
    await new Promise((r) => setTimeout(r, 500));
    expect(cutOff.get('acme', DAY)).toEqual(STATUS);

    relay.heal();
    await until(() => cutOff.get('acme', DAY) === undefined);
    expect(cutOff.get('acme', DAY)).toBeUndefined();
  });
});
