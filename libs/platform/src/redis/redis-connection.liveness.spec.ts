import { cuttableRelay } from '#test/redis-relay';
import { capturingLogger, until } from '#test/waiting';
import { closeRedis, createRedis } from './redis-connection.js';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)('createRedis when its connection silently stops answering', () => {
  const prefix = `test:conn-liveness:${process.pid}:${Date.now()}`;
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;

  beforeEach(async () => {
    relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
  });
  afterEach(() => relay.close());

  it('drops a half-open connection that only times out, so ioredis reconnects and commands work again', async () => {
    const logger = capturingLogger();
    const redis = createRedis(relay.url, {
      name: `${prefix}:frozen`,
      logger,
      commandTimeoutMs: 300,
      pingEveryMs: 200,
    });
    try {
      await redis.set(`${prefix}:key`, 'kept', 'PX', 60_000);
      expect(relay.accepted()).toBe(1);

      // A NAT or load balancer forgets the flow (or Redis fails over without a RST): no 'close'
      // comes, ioredis still says 'ready' and each command just times out.
      relay.freeze();
      await expect(redis.get(`${prefix}:key`)).rejects.toThrow('Command timed out');
      expect(redis.status).toBe('ready');

      await until(() => relay.accepted() === 2, 5_000);
      await until(() => redis.status === 'ready', 5_000);
      expect(await redis.get(`${prefix}:key`)).toBe('kept');
      const warnings = logger.lines.filter((line) => line.startsWith('warn'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('did not answer a PING');
      expect(warnings[0]).toContain('reconnecting');
    } finally {
      await closeRedis(redis);
    }
  });

  it('leaves a healthy connection alone and stops checking once closed', async () => {
    const logger = capturingLogger();
    const redis = createRedis(relay.url, { name: `${prefix}:healthy`, logger, pingEveryMs: 50 });
    await until(() => redis.status === 'ready');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await redis.ping()).toBe('PONG');
    expect(relay.accepted()).toBe(1);
    expect(logger.lines).toEqual([]);

    await closeRedis(redis);
    const endListeners = redis.listenerCount('end');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(redis.status).toBe('end');
    expect(endListeners).toBe(0); // the liveness watch is gone
    expect(relay.accepted()).toBe(1);
  });
});
