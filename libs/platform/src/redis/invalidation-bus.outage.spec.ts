import { cuttableRelay, until } from '#test/redis-relay';
import { RedisInvalidationBus } from './invalidation-bus.js';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)('RedisInvalidationBus when one instance loses Redis', () => {
  const prefix = `test:bus-outage:${process.pid}:${Date.now()}`;
  let relay: Awaited<ReturnType<typeof cuttableRelay>>;
  let cutOff: RedisInvalidationBus;
  let other: RedisInvalidationBus;

  beforeAll(async () => {
    relay = await cuttableRelay(new URL(REDIS_URL ?? ''));
  });
  afterAll(async () => {
    await Promise.all([cutOff?.close(), other?.close()]);
    await relay.close();
  });

  it('sends a publish Redis did not take once it answers again, so the other instance still hears of it', async () => {
    cutOff = new RedisInvalidationBus(relay.url, { prefix, name: `${prefix}:a` });
    other = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:b` });
    const heard: string[] = [];
    other.subscribe('auth', (m) => heard.push(m));
    cutOff.subscribe('auth', () => undefined);
    await Promise.all([cutOff.whenSubscribed(), other.whenSubscribed()]);

    relay.cut();
    // Once its connections know they are down (a publish sent a moment sooner waits in the offline
    // queue and goes out after the reconnect on its own), a revocation while this instance alone is
    // cut off: the other one stays subscribed, so no reconnect tells it to drop its cache.
    await new Promise((r) => setTimeout(r, 300));
    // Refused at once, not after waiting in the offline queue for the command timeout.
    await expect(cutOff.publish('auth', '{"hash":"revoked"}')).rejects.toThrow(/not connected/);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(heard).toEqual([]);
    relay.heal();

    await until(() => heard.length > 0);
    expect(heard).toEqual(['{"hash":"revoked"}']);
  });
  it('keeps no resend timer for a publish that fails once the bus is closed (a publish racing the shutdown)', async () => {
    const closing = new RedisInvalidationBus(relay.url, { prefix, name: `${prefix}:c` });
    await closing.whenSubscribed();
    relay.cut();
    // Fails at once when the connection already knows it is down, else waits in the offline queue
    // and fails when close() ends the connection: its failure is taken at once either way.
    const late = closing.publish('auth', '{"hash":"late"}').then(
      () => null,
      (error: unknown) => error,
    );
    await closing.close();
    expect(await late).toBeInstanceOf(Error);
    relay.heal();
    expect((closing as unknown as { resendTimer?: NodeJS.Timeout }).resendTimer).toBeUndefined();
  });
});
