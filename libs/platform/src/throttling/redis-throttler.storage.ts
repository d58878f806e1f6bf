/**
 * Redis storage for @nestjs/throttler 6.7.1, so every instance counts against the same limits.
 *
 * Why not @nest-lab/throttler-storage-redis: it declares peers only up to Nest 11, and this app is
 * on Nest 12; the adapter is small enough to own.
 *
 * Semantics follow the in-memory ThrottlerStorageService of 6.7.1 (`throttler.service.js`):
 * - `ttl` and `blockDuration` arrive in milliseconds; `timeToExpire` and `timeToBlockExpire` go back
 *   in whole seconds, rounded up (the guard puts them in `X-RateLimit-Reset` and `Retry-After`).
 * - A hit is counted only while not blocked; the hit that goes over `limit` starts a block of
 *   `blockDuration`. While blocked, `totalHits` reports the hits of the window without adding one.
 * - The first request after a block ends starts again from one hit, even if the window is still open.
 * - `blockDuration <= 0`: a request at the limit is refused and not counted, and reports
 *   `totalHits` = hits + 1 and `timeToBlockExpire` = the time left in the window.
 * One deliberate difference: when not blocked, `timeToBlockExpire` is 0 (in memory it is a large
 * negative number, which the guard never reads).
 *
 * The counter is a fixed window (PEXPIRE on the first hit) where the in-memory storage expires each
 * hit on its own; they agree for hits inside one window, and both start from zero once `ttl` has
 * passed since the last hit. Time comes from the Redis server (PTTL), never from instance clocks.
 */
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { closeRedis, createRedis } from '../redis/redis-connection.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';

/** @nestjs/throttler's index does not export ThrottlerStorageRecord; this is that type. */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface RedisThrottlerStorageOptions {
  /** Namespace of every key, e.g. `finops:prod:throttle`. */
  prefix?: string;
  /** Close the client on module destroy. Always true when the storage built the client from a URL. */
  ownsClient?: boolean;
}

// KEYS[1]: hash {n = hits in the window, b = a block was started in this window}; KEYS[2]: block marker.
// ARGV: ttl ms, limit, blockDuration ms. Returns {totalHits, window ms left, blocked 0|1, block ms left}.
// `b` is what tells "the block just expired" (start again from one hit) apart from a limit that was
// lowered since the last request (block now, as the in-memory storage does).
const INCREMENT_LUA = `
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockDuration = tonumber(ARGV[3])
local function windowLeft()
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then return ttl end
  return left
end
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return {tonumber(redis.call('HGET', KEYS[1], 'n') or '0'), windowLeft(), 1, blockLeft}
end
if blockDuration > 0 and redis.call('HGET', KEYS[1], 'b') then
  redis.call('DEL', KEYS[1])
end
if blockDuration <= 0 then
  local hits = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
  if hits >= limit then
    local left = windowLeft()
    return {hits + 1, left, 1, left}
  end
end
local hits = redis.call('HINCRBY', KEYS[1], 'n', 1)
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if blockDuration > 0 and hits > limit then
  redis.call('SET', KEYS[2], '1', 'PX', blockDuration)
  redis.call('HSET', KEYS[1], 'b', '1')
  return {hits, windowLeft(), 1, blockDuration}
end
return {hits, windowLeft(), 0, 0}
`;

const COMMAND = 'finopsThrottlerIncrement';
/** How long counting stays in memory after a command failed on an open connection. */
export const RETRY_AFTER_FAILURE_MS = 5_000;

/** ioredis adds methods for `defineCommand` at run time; this names the one we define. */
interface ThrottlerCommands {
  [COMMAND](
    hitsKey: string,
    blockKey: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): Promise<[number, number, number, number]>;
}

/**
 * While Redis is unreachable (not connected, or a command failed), each instance counts on its own
 * in memory: the limits still hold per instance, and a request neither waits for a command that
 * cannot succeed (up to the command timeout, a second or more) nor goes through unlimited, which
 * would lift the brute-force limits of the whole fleet for as long as the outage lasts.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: Redis & ThrottlerCommands;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private readonly local = new MemoryThrottlerStorage();
  /** Counting in memory since Redis last failed; logged once when it starts and once when it ends. */
  private degraded = false;
  /**
   * False from a lost or refused connection until it is ready again. True before the first
   * connection is made, so the requests of a starting instance wait for it (the offline queue,
   * bounded by the command timeout) rather than count apart from the other instances.
   */
  private connected: boolean;
  /**
   * After a command failed on a connection that stays open (a Redis that stopped answering, a
   * network that drops packets: no 'close' comes), Redis is not asked again before this time, and
   * then by one request at a time (`probing`) until one is answered: the requests arriving while it
   * waits are counted in memory, so only one request every RETRY_AFTER_FAILURE_MS waits out the
   * command timeout, not every request of the second it takes.
   */
  private retryAt = 0;
  private probing = false;
  private readonly onReady = () => {
    this.connected = true;
    this.retryAt = 0;
  };
  private readonly onClose = () => (this.connected = false);

  constructor(client: Redis | string, options: RedisThrottlerStorageOptions = {}) {
    const redis = typeof client === 'string' ? createRedis(client, { name: 'throttler' }) : client;
    // Defining it again on a shared client only replaces the method with an identical one.
    redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: INCREMENT_LUA });
    this.redis = redis as Redis & ThrottlerCommands;
    this.prefix = options.prefix ?? 'throttle';
    this.ownsClient = typeof client === 'string' || options.ownsClient === true;
    // A shared client may be between connections already.
    this.connected = !['reconnecting', 'close', 'end'].includes(redis.status);
    redis.on('ready', this.onReady);
    redis.on('close', this.onClose);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const counted = () => this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    if (!this.connected) return this.inMemory(counted, `connection ${this.redis.status}`);
    if (this.probing || this.retryAt > Date.now()) return this.inMemory(counted, 'a command failed');
    // The hash tag keeps both keys in one Redis Cluster slot, which a multi-key script requires.
    const base = `${this.prefix}:${throttlerName}:{${key}}`;
    // After a failure, this request alone asks whether Redis answers again.
    const probe = this.retryAt !== 0;
    this.probing = probe;
    let answer: [number, number, number, number];
    try {
      answer = await this.redis[COMMAND](
        `${base}:hits`,
        `${base}:block`,
        // PEXPIRE and SET PX refuse fractional milliseconds, which a computed ttl could have.
        Math.ceil(ttl),
        limit,
        Math.ceil(blockDuration),
      );
    } catch (err) {
      this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      return this.inMemory(counted, err instanceof Error ? err.message : String(err));
    } finally {
      if (probe) this.probing = false;
    }
    this.retryAt = 0;
    if (this.degraded) {
      this.degraded = false;
      this.logger.log('Redis answers again: rate limits are shared across instances again');
    }
    const [totalHits, windowMs, blocked, blockMs] = answer;
    return {
      totalHits,
      timeToExpire: Math.ceil(windowMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }

  private inMemory(
    counted: () => Promise<ThrottlerStorageRecord>,
    reason: string,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn(`Rate limits counted by this instance alone until Redis answers (${reason})`);
    }
    return counted();
  }

  async onModuleDestroy(): Promise<void> {
    this.local.onApplicationShutdown();
    this.redis.off('ready', this.onReady);
    this.redis.off('close', this.onClose);
    if (this.ownsClient) await closeRedis(this.redis);
  }
}
