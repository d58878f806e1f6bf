/**
 * In-process storage for @nestjs/throttler: the same semantics as RedisThrottlerStorage (see its
 * header: a fixed window per key and throttler name, a block after the hit past the limit,
 * `blockDuration <= 0` refusing at the limit without counting), with O(1) work per request.
 *
 * Why not the package's ThrottlerStorageService: it keeps one timestamp per hit and scans them all
 * on every request, so a key with a high limit (a load test, a busy pipeline service) costs more
 * on every request as its hits pile up (from ~2,500 to ~500 req/s within a minute, measured).
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  /** When the window's count is forgotten (ms since the epoch). */
  endsAt: number;
  /** A block was started in this window (tells "the block just ended" from "the limit was lowered"). */
  blockedInWindow: boolean;
  /** When the current block ends; 0 when none. */
  blockEndsAt: number;
}

const SWEEP_EVERY_MS = 60_000;

export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(`${throttlerName}:${key}`, ttl, limit, blockDuration));
  }

  private hit(id: string, ttl: number, limit: number, blockDuration: number): ThrottlerStorageRecord {
    const now = this.now();
    let w = this.windows.get(id);
    if (w && w.endsAt <= now && w.blockEndsAt <= now) w = undefined;
    if (w && w.blockEndsAt > now)
      // A block can outlast its window: the window's count is gone by then, as in Redis.
      return w.endsAt > now
        ? record(w.hits, w.endsAt, now, w.blockEndsAt)
        : record(0, now + ttl, now, w.blockEndsAt);
    if (w && (w.endsAt <= now || (blockDuration > 0 && w.blockedInWindow))) w = undefined;
    if (!w) {
      w = { hits: 0, endsAt: now + ttl, blockedInWindow: false, blockEndsAt: 0 };
      this.windows.set(id, w);
    }
    if (blockDuration <= 0 && w.hits >= limit) return record(w.hits + 1, w.endsAt, now, w.endsAt);
    w.hits++;
    if (blockDuration > 0 && w.hits > limit) {
      w.blockedInWindow = true;
      w.blockEndsAt = now + blockDuration;
      return record(w.hits, w.endsAt, now, w.blockEndsAt);
    }
    return {
      totalHits: w.hits,
      timeToExpire: seconds(w.endsAt - now),
      isBlocked: false,
      timeToBlockExpire: 0,
    };
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, w] of this.windows) if (w.endsAt <= now && w.blockEndsAt <= now) this.windows.delete(id);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }
}

const seconds = (ms: number) => Math.ceil(Math.max(ms, 0) / 1000);

function record(totalHits: number, endsAt: number, now: number, blockEndsAt: number): ThrottlerStorageRecord {
  return {
    totalHits,
    timeToExpire: seconds(endsAt - now),
    isBlocked: true,
    timeToBlockExpire: seconds(blockEndsAt - now),
  };
}
