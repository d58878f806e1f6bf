import type { Redis } from 'ioredis';
import { cuttableRelay } from '#test/redis-relay';
import { capturingLogger, until } from '#test/waiting';
import { RedisInvalidationBus } from './invalidation-bus.js';
import { closeRedis, createRedis } from './redis-connection.js';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)(
  'RedisInvalidationBus when its subscriber silently stops hearing from Redis',
  () => {
    const prefix = `test:bus-liveness:${process.pid}:${Date.now()}`;
    const user = `qa-bus-liveness-${process.pid}-${Date.now()}`;
    let relay: Awaited<ReturnType<typeof cuttableRelay>>;
    let admin: Redis;
    const buses: RedisInvalidationBus[] = [];

    beforeAll(async () => {
      relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
      admin = createRedis(REDIS_URL ?? '', { name: `${prefix}:admin` });
    });
    afterAll(async () => {
      await Promise.all(buses.map((bus) => bus.close()));
      await admin.acl('DELUSER', user);
      await closeRedis(admin);
      await relay.close();
    });

    /** The cost cache of one instance: what it heard, and how often it was told to drop everything. */
    function cache(bus: RedisInvalidationBus) {
      const state = { heard: [] as string[], cleared: 0 };
      bus.subscribe('costs', (message) => state.heard.push(message));
      bus.onReconnect?.(() => state.cleared++);
      return state;
    }

    it('notices a half-open connection with a PING, reconnects and has the caches drop what they hold', async () => {
      const logger = capturingLogger();
      const frozen = new RedisInvalidationBus(relay.url, {
        prefix,
        name: `${prefix}:a`,
        pingEveryMs: 200,
        logger,
      });
      const other = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:b` });
      buses.push(frozen, other);
      const costs = cache(frozen);
      await Promise.all([frozen.whenSubscribed(), other.whenSubscribed()]);

      // A NAT or load balancer forgets the flow (or Redis fails over without a RST): no 'close' ever
      // comes, and the invalidation below never reaches the frozen instance.
      relay.freeze();
      await other.publish('costs', '{"org":"lost"}');

      await until(() => costs.cleared > 0, 8_000);
      expect(costs.cleared).toBe(1);
      await frozen.whenSubscribed();
      await other.publish('costs', '{"org":"after"}');
      await until(() => costs.heard.length > 0);
      expect(costs.heard).toEqual(['{"org":"after"}']);
      expect(logger.lines.some((line) => line.startsWith('warn') && line.includes('PING'))).toBe(true);
    });

    it('reconnects after a SUBSCRIBE Redis refused, instead of staying deaf to the channel', async () => {
      // A user that may not subscribe to the cost channel yet: SUBSCRIBE fails, the connection stays up.
      await admin.acl('SETUSER', user, 'on', '>liveness', '~*', '+@all', 'resetchannels', `&${prefix}:other`);
      const url = new URL(REDIS_URL ?? '');
      url.username = user;
      url.password = 'liveness';
      const logger = capturingLogger();
      const refused = new RedisInvalidationBus(url.toString(), {
        prefix,
        name: `${prefix}:c`,
        pingEveryMs: 200,
        logger,
      });
      const other = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:d` });
      buses.push(refused, other);
      const costs = cache(refused);
      await Promise.all([refused.whenSubscribed(), other.whenSubscribed()]);
      expect(logger.lines.some((line) => line.includes('NOPERM'))).toBe(true);

      await admin.acl('SETUSER', user, `&${prefix}:costs`);
      await until(() => costs.cleared > 0, 8_000);
      await refused.whenSubscribed();
      await other.publish('costs', '{"org":"after"}');
      await until(() => costs.heard.length > 0);
      expect(costs.heard).toEqual(['{"org":"after"}']);
      expect(costs.cleared).toBeGreaterThan(0);
    });
  },
);
