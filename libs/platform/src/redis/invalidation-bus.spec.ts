import type { Redis } from 'ioredis';
import { LocalInvalidationBus, RedisInvalidationBus } from './invalidation-bus.js';
import { closeRedis, createRedis } from './redis-connection.js';
import { capturingLogger, until } from '#test/waiting';

const REDIS_URL = process.env.TEST_REDIS_URL;

describe('LocalInvalidationBus', () => {
  it('delivers to every handler of the channel before publish returns', () => {
    const bus = new LocalInvalidationBus(capturingLogger());
    const received: string[] = [];
    bus.subscribe('auth', (m) => received.push(`a:${m}`));
    bus.subscribe('auth', (m) => received.push(`b:${m}`));
    bus.subscribe('costs', (m) => received.push(`costs:${m}`));

    void bus.publish('auth', 'org-1');

    expect(received).toEqual(['a:org-1', 'b:org-1']);
  });

  it('stops delivering to a handler once it unsubscribes, and a second unsubscribe does nothing', async () => {
    const bus = new LocalInvalidationBus(capturingLogger());
    const received: string[] = [];
    const unsubscribe = bus.subscribe('auth', (m) => received.push(m));
    bus.subscribe('auth', (m) => received.push(`other:${m}`));

    await bus.publish('auth', 'one');
    unsubscribe();
    unsubscribe();
    await bus.publish('auth', 'two');

    expect(received).toEqual(['one', 'other:one', 'other:two']);
  });

  it('keeps delivering to the other handlers when one throws, and logs without the message', async () => {
    const logger = capturingLogger();
    const bus = new LocalInvalidationBus(logger);
    const received: string[] = [];
    bus.subscribe('auth', () => {
      throw new Error('boom');
    });
    bus.subscribe('auth', (m) => received.push(m));

    await bus.publish('auth', 'secret-hash');

    expect(received).toEqual(['secret-hash']);
    expect(logger.lines).toEqual(['error Invalidation handler on "auth" failed: boom']);
  });

  it('refuses to publish after close and drops its handlers', async () => {
    const bus = new LocalInvalidationBus(capturingLogger());
    const received: string[] = [];
    const unsubscribe = bus.subscribe('auth', (m) => received.push(m));

    await bus.close();

    await expect(bus.publish('auth', 'late')).rejects.toThrow('InvalidationBus is closed');
    expect(() => unsubscribe()).not.toThrow();
    expect(received).toEqual([]);
  });
});

describe.skipIf(!REDIS_URL)('RedisInvalidationBus', () => {
  const prefix = `test:bus:${process.pid}:${Date.now()}`;
  let admin: Redis;
  const buses: RedisInvalidationBus[] = [];

  /** One bus = one app instance with its own publisher and subscriber connections. */
  async function instance(name: string): Promise<RedisInvalidationBus> {
    const bus = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:${name}` });
    buses.push(bus);
    await bus.whenSubscribed();
    return bus;
  }

  async function numsub(channel: string): Promise<number> {
    const reply = (await admin.pubsub('NUMSUB', `${prefix}:${channel}`)) as [string, number];
    return Number(reply[1]);
  }

  /** Messages from one connection reach a subscriber in order, so a later marker proves an earlier message had its chance. */
  async function flushed(from: RedisInvalidationBus, to: RedisInvalidationBus): Promise<void> {
    const marker = `marker-${Math.random()}`;
    let seen = false;
    const unsubscribe = to.subscribe('marker', (m) => {
      if (m === marker) seen = true;
    });
    await to.whenSubscribed();
    await from.publish('marker', marker);
    await until(() => seen);
    unsubscribe();
  }

  beforeAll(() => {
    admin = createRedis(REDIS_URL ?? '', { name: `${prefix}:admin` });
  });

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await closeRedis(admin);
  });

  it('delivers a message published by one instance to the handlers of both', async () => {
    const a = await instance('a1');
    const b = await instance('b1');
    const onA: string[] = [];
    const onB: string[] = [];
    a.subscribe('auth', (m) => onA.push(m));
    b.subscribe('auth', (m) => onB.push(m));
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);

    await a.publish('auth', '{"org":"acme"}');
    await until(() => onB.length > 0);

    expect(onA).toEqual(['{"org":"acme"}']);
    expect(onB).toEqual(['{"org":"acme"}']);
  });

  it("hands the publisher's own handlers the message exactly once, before publish returns", async () => {
    const a = await instance('a2');
    const b = await instance('b2');
    const onA: string[] = [];
    a.subscribe('costs', (m) => onA.push(m));
    await a.whenSubscribed();

    const publishing = a.publish('costs', 'org-7');
    expect(onA).toEqual(['org-7']);
    await publishing;
    await flushed(b, a);

    expect(onA).toEqual(['org-7']);
  });

  it('stops delivering to an instance whose last handler unsubscribed', async () => {
    const a = await instance('a3');
    const b = await instance('b3');
    const onB: string[] = [];
    a.subscribe('hierarchy', () => undefined);
    const unsubscribe = b.subscribe('hierarchy', (m) => onB.push(m));
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    expect(await numsub('hierarchy')).toBe(2);

    unsubscribe();
    await b.whenSubscribed();
    await a.publish('hierarchy', 'after');
    await flushed(a, b);

    expect(await numsub('hierarchy')).toBe(1);
    expect(onB).toEqual([]);
  });

  it('subscribes again after its subscriber connection is killed, then tells onReconnect listeners', async () => {
    const a = await instance('a4');
    const b = await instance('b4');
    const onB: string[] = [];
    let reconnects = 0;
    b.subscribe('keys', (m) => onB.push(m));
    b.onReconnect(() => void reconnects++);
    await b.whenSubscribed();

    await admin.client('KILL', 'ID', await clientId(`${prefix}:b4:sub`));
    await until(() => reconnects === 1);
    await a.publish('keys', 'revoked');
    await until(() => onB.length > 0);

    expect(onB).toEqual(['revoked']);
    expect(await numsub('keys')).toBe(1);
  });

  it('ignores a message on its channels that is not an envelope', async () => {
    const logger = capturingLogger();
    const bus = new RedisInvalidationBus(REDIS_URL ?? '', { prefix, name: `${prefix}:a5`, logger });
    buses.push(bus);
    const received: string[] = [];
    bus.subscribe('raw', (m) => received.push(m));
    await bus.whenSubscribed();

    await admin.publish(`${prefix}:raw`, 'not json');
    await until(() => logger.lines.length > 0);

    expect(received).toEqual([]);
    expect(logger.lines).toEqual([
      `warn Ignored a message on "${prefix}:raw" that is not an invalidation envelope`,
    ]);
  });

  it('closes both connections and its subscriptions', async () => {
    const bus = await instance('a6');
    bus.subscribe('closing', () => undefined);
    await bus.whenSubscribed();
    expect(await numsub('closing')).toBe(1);

    await bus.close();
    await bus.close();

    expect(await numsub('closing')).toBe(0);
    const names = (await clientNames()).filter((n) => n.startsWith(`${prefix}:a6:`));
    expect(names).toEqual([]);
    await expect(bus.publish('closing', 'late')).rejects.toThrow('InvalidationBus is closed');
  });

  it('leaves a client it was given open, and closes only its own subscriber connection', async () => {
    const shared = createRedis(REDIS_URL ?? '', { name: `${prefix}:shared` });
    try {
      const bus = new RedisInvalidationBus(shared, { prefix, name: `${prefix}:a7` });
      bus.subscribe('shared', () => undefined);
      await bus.whenSubscribed();
      expect(await clientNames()).toContain(`${prefix}:a7:sub`);

      await bus.close();

      expect(await clientNames()).not.toContain(`${prefix}:a7:sub`);
      expect(await shared.ping()).toBe('PONG');
    } finally {
      await closeRedis(shared);
    }
  });

  it('is subscribed only once its publishing connection is ready too, so a publish then reaches Redis', async () => {
    // A publishing connection slower to connect than the subscriber (a loaded machine): the first
    // publish after whenSubscribed threw "not connected" and was only sent again later.
    const slow = createRedis(REDIS_URL ?? '', { name: `${prefix}:slow`, overrides: { lazyConnect: true } });
    const bus = new RedisInvalidationBus(slow, { prefix, name: `${prefix}:a8`, ownsClient: true });
    buses.push(bus);
    const to = await instance('a8-to');
    const heard: string[] = [];
    to.subscribe('slow', (m) => heard.push(m));
    await to.whenSubscribed();
    const connecting = new Promise((resolve) => setTimeout(resolve, 200)).then(() => slow.connect());
    await bus.whenSubscribed();
    await bus.publish('slow', 'first');
    await until(() => heard.length > 0);
    expect(heard).toEqual(['first']);
    await connecting;
  });

  async function clientNames(): Promise<string[]> {
    const list = (await admin.client('LIST')) as string;
    return [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1] ?? '');
  }

  async function clientId(name: string): Promise<string> {
    const list = (await admin.client('LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` name=${name} `));
    const id = line?.match(/^id=(\d+)/)?.[1];
    if (!id) throw new Error(`no connection named ${name}`);
    return id;
  }
});
