import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

/** An address's window as Redis holds it: failures of every instance, and the ms until it ends. */
export interface FleetWindow {
  failures: number;
  msLeft: number;
}

/** A lookup counted in Redis while it runs; settled as a failure or not once its answer is known. */
export interface SharedReservation {
  ip: string;
  window: string;
}

export type ReserveAnswer =
  ({ admitted: true; reservation: SharedReservation } & FleetWindow) | ({ admitted: false } & FleetWindow);

// KEYS[1]: hash {w = the window's id, f = failures, p = lookups in flight}, expiring with the window.
// Each script opens a new window (id ARGV[n]) when none is open.
const OPEN_WINDOW = `
local function open(windowMs, id)
  if redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 'w', id, 'f', 0, 'p', 0)
    redis.call('PEXPIRE', KEYS[1], windowMs)
  end
end
`;

// ARGV: limit, window ms, new window id. {admitted 0|1, failures, ms left, window id}.
const RESERVE_LUA = `${OPEN_WINDOW}
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local p = tonumber(redis.call('HGET', KEYS[1], 'p') or '0')
if redis.call('PTTL', KEYS[1]) > 0 and f + p >= tonumber(ARGV[1]) then
  return {0, f, redis.call('PTTL', KEYS[1]), ''}
end
open(tonumber(ARGV[2]), ARGV[3])
redis.call('HINCRBY', KEYS[1], 'p', 1)
return {1, tonumber(redis.call('HGET', KEYS[1], 'f')), redis.call('PTTL', KEYS[1]), redis.call('HGET', KEYS[1], 'w')}
`;

// ARGV: window id, failed 0|1. Nothing when the reservation's window has ended. {failures, ms left}.
const SETTLE_LUA = `
if redis.call('HGET', KEYS[1], 'w') ~= ARGV[1] then return {0, 0} end
if tonumber(redis.call('HGET', KEYS[1], 'p') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'p', -1) end
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'f', 1) end
return {tonumber(redis.call('HGET', KEYS[1], 'f')), redis.call('PTTL', KEYS[1])}
`;

// ARGV: window ms, new window id. {failures, ms left}.
const FAIL_LUA = `${OPEN_WINDOW}
open(tonumber(ARGV[1]), ARGV[2])
return {redis.call('HINCRBY', KEYS[1], 'f', 1), redis.call('PTTL', KEYS[1])}
`;

/** How long Redis is not asked after a command failed on an open connection. */
const RETRY_AFTER_FAILURE_MS = 5_000;

interface Commands {
  finopsAuthReserve(
    key: string,
    limit: number,
    windowMs: number,
    id: string,
  ): Promise<[number, number, number, string]>;
  finopsAuthSettle(key: string, window: string, failed: number): Promise<[number, number]>;
  finopsAuthFail(key: string, windowMs: number, id: string): Promise<[number, number]>;
}

/**
 * The failed authentications of each client address counted in Redis (REDIS_URL), so that every
 * instance holds an address to one budget: counted per instance, a guesser whose requests a load
 * balancer spreads over N instances had N times AUTH_FAILURES_PER_MINUTE. A lookup is reserved in
 * Redis before it starts (failures and lookups in flight together stay under the limit, on every
 * instance at once) and settled when its answer is known. While Redis does not answer, every call
 * answers undefined at once and the instance counts on its own (AuthFailureLimiter), as the rate
 * limits do; a reservation a dead instance never settled counts until its window ends.
 */
export class SharedAuthFailures {
  private readonly logger = new Logger('AuthFailures');
  private readonly redis: Redis & Commands;
  private degraded = false;
  /**
   * False from a lost connection until it is ready again; true before the first one is made, so a
   * starting instance's first lookups wait for it (bounded by the command timeout), as the rate
   * limits' do (RedisThrottlerStorage).
   */
  private connected: boolean;
  private retryAt = 0;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {
    redis.defineCommand('finopsAuthReserve', { numberOfKeys: 1, lua: RESERVE_LUA });
    redis.defineCommand('finopsAuthSettle', { numberOfKeys: 1, lua: SETTLE_LUA });
    redis.defineCommand('finopsAuthFail', { numberOfKeys: 1, lua: FAIL_LUA });
    this.redis = redis as Redis & Commands;
    this.connected = !['reconnecting', 'close', 'end'].includes(redis.status);
    redis.on('ready', () => (this.connected = true));
    redis.on('close', () => (this.connected = false));
  }

  /** Counts a lookup of `ip` in flight if its failures and lookups in flight stay under `limit`. */
  async reserve(ip: string, limit: number): Promise<ReserveAnswer | undefined> {
    const answer = await this.call(() =>
      this.redis.finopsAuthReserve(this.key(ip), limit, this.windowMs, randomUUID()),
    );
    if (!answer) return undefined;
    const [admitted, failures, msLeft, window] = answer;
    return admitted === 1
      ? { admitted: true, failures, msLeft, reservation: { ip, window } }
      : { admitted: false, failures, msLeft };
  }

  /** Ends a reserved lookup, as a failure or not. */
  async settle(r: SharedReservation, failed: boolean): Promise<FleetWindow | undefined> {
    const answer = await this.call(() =>
      this.redis.finopsAuthSettle(this.key(r.ip), r.window, failed ? 1 : 0),
    );
    return answer && { failures: answer[0], msLeft: answer[1] };
  }

  /** Counts a failure of `ip` that no reservation preceded (a wrong root key, say). */
  async recordFailure(ip: string): Promise<FleetWindow | undefined> {
    const answer = await this.call(() =>
      this.redis.finopsAuthFail(this.key(ip), this.windowMs, randomUUID()),
    );
    return answer && { failures: answer[0], msLeft: answer[1] };
  }

  private key(ip: string): string {
    // The hash tag keeps the key in one Redis Cluster slot, as a script requires.
    return `${this.prefix}:{${ip}}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T | undefined> {
    // Not connected: the command would wait in the offline queue for its whole timeout.
    if (!this.connected) return this.fallBack(`connection ${this.redis.status}`);
    if (this.retryAt > Date.now()) return this.fallBack('a command failed');
    try {
      const answer = await command();
      this.retryAt = 0;
      if (this.degraded)
        this.logger.log('Redis answers again: failed authentications are counted across instances');
      this.degraded = false;
      return answer;
    } catch (err) {
      // A Redis that stopped answering on an open connection: not asked again for a while, so that
      // lookups do not each wait out the command timeout (as the rate limits' storage does).
      this.retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      return this.fallBack(err instanceof Error ? err.message : String(err));
    }
  }

  private fallBack(reason: string): undefined {
    if (!this.degraded)
      this.logger.warn(
        `Failed authentications counted by this instance alone until Redis answers (${reason})`,
      );
    this.degraded = true;
    return undefined;
  }
}
