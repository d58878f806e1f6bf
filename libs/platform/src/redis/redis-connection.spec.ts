import { createServer, type Server } from 'node:net';
import { closeRedis, createRedis, redactRedisUrl } from './redis-connection.js';
import { capturingLogger, until } from '#test/waiting';

const REDIS_URL = process.env.TEST_REDIS_URL;
const PASSWORD = 'pa55-word-never-logged';

describe('redactRedisUrl', () => {
  it('replaces the password and keeps user, host, port and database', () => {
    expect(redactRedisUrl(`redis://app:${PASSWORD}@cache.internal:6380/2`)).toBe(
      'redis://app:***@cache.internal:6380/2',
    );
  });

  it('redacts a password given without a user name', () => {
    expect(redactRedisUrl(`rediss://:${PASSWORD}@cache.internal:6379`)).toBe(
      'rediss://:***@cache.internal:6379',
    );
  });

  it('redacts a password given as a query option, which ioredis reads as the password', () => {
    expect(
      redactRedisUrl(`redis://cache.internal:6379/0?password=${PASSWORD}&sentinelPassword=${PASSWORD}&db=1`),
    ).toBe('redis://cache.internal:6379/0?password=***&sentinelPassword=***&db=1');
  });

  it('leaves a URL without a password unchanged', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
  });

  it('does not echo a URL it cannot parse', () => {
    expect(redactRedisUrl(`${PASSWORD}@::nonsense`)).toBe('<unparsable redis url>');
  });
});

describe('createRedis', () => {
  it('rejects a URL that is not redis:// without showing its password', () => {
    expect(() => createRedis(`http://u:${PASSWORD}@host:1`, { name: 'x' })).toThrow(
      'Redis URL for "x" must start with redis:// or rediss:// (got http://u:***@host:1/)',
    );
  });

  describe('when the server refuses the connection', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      // A port that was just free: listening, then closed, so connects are refused on loopback.
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('logs the outage once, with the password redacted, while it keeps retrying', async () => {
      const logger = capturingLogger();
      const redis = createRedis(`redis://app:${PASSWORD}@127.0.0.1:${port}/0`, { name: 'refused', logger });
      let errors = 0;
      redis.on('error', () => void errors++);
      await until(() => errors >= 3);
      await closeRedis(redis);
      const errorsAtClose = errors;
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]).toMatch(/^error Redis redis:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/0 unavailable: /);
      expect(logger.lines.join('\n')).not.toContain(PASSWORD);
      expect(errors).toBe(errorsAtClose);
    });

    it('fails a command within the command timeout instead of queueing it forever', async () => {
      const redis = createRedis(`redis://127.0.0.1:${port}`, {
        name: 'refused',
        logger: capturingLogger(),
        commandTimeoutMs: 150,
      });
      const started = Date.now();
      await expect(redis.ping()).rejects.toThrow('Command timed out');
      expect(Date.now() - started).toBeLessThan(1_000);
      await closeRedis(redis);
    });
  });
});

describe.skipIf(!REDIS_URL)('createRedis against Redis', () => {
  it('connects and names the connection', async () => {
    const name = `conn-spec-${process.pid}-${Date.now()}`;
    const redis = createRedis(REDIS_URL ?? '', { name, logger: capturingLogger() });
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.client('GETNAME')).toBe(name);
    } finally {
      await closeRedis(redis);
    }
    expect(redis.status).toBe('end');
  });

  it('keeps a rejected password out of the log', async () => {
    const logger = capturingLogger();
    const url = new URL(REDIS_URL ?? '');
    url.username = 'no-such-user';
    url.password = PASSWORD;
    const redis = createRedis(url.toString(), { name: 'wrong-password', logger });
    await until(() => logger.lines.length > 0);
    await closeRedis(redis);

    expect(logger.lines[0]).toMatch(/^error Redis redis:\/\/no-such-user:\*\*\*@/);
    expect(logger.lines.join('\n')).not.toContain(PASSWORD);
  });
});
