import { cuttableRelay } from '#test/redis-relay';
import { RedisInvalidationBus } from './invalidation-bus.js';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)(
  'RedisInvalidationBus of an instance that starts while Redis is unreachable',
  () => {
    const prefix = `test:bus-late:${process.pid}:${Date.now()}`;
    let relay: Awaited<ReturnType<typeof cuttableRelay>>;
    let late: RedisInvalidationBus | undefined;
    let other: RedisInvalidationBus | undefined;

    beforeAll(async () => {
      relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
    });
    afterAll(async () => {
      await Promise.all([late?.close(), other?.close()]);
      await relay.close();
    });

    it('tells onReconnect listeners once it first connects: what was published before went unheard', async () => {
      relay.cut();
      // The instance serves (and caches) meanwhile; Redis does not decide its readiness.
      late = new RedisInvalidationBus(relay.url, { prefix, name: `${prefix}:late` });
      other = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:other` });
      const heard: string[] = [];
      let cleared = 0;
      late.subscribe('costs', (m) => heard.push(m));
      late.onReconnect(() => void cleared++);
      await other.whenSubscribed();
      // An import on another instance: this one, not connected yet, cannot hear of it.
      await other.publish('costs', 'acme');

      relay.heal();
      await late.whenSubscribed();
      expect(heard).toEqual([]);
      expect(cleared).toBe(1);
    });
  },
);
