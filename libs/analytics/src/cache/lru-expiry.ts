import { LRUCache } from 'lru-cache';
import { orgOfKey } from './cache-keys.js';
import type { LevelCounters } from './cache-stats.js';
import type { Clock } from './clock.js';

// The cost cache's lru-cache levels and their expiry: entries carry their own `expiresAt`.

/**
 * A level: bounded by entries and by the entries' estimated bytes (each at least 1), its TTLs
 * measured on `clock`, its evictions and expirations counted in `counters`.
 */
export function costLevel<V extends { bytes: number }>(
  max: number,
  maxSize: number,
  clock: Clock,
  counters: LevelCounters,
): LRUCache<string, V> {
  return new LRUCache<string, V>({
    max,
    maxSize,
    sizeCalculation: (entry) => Math.max(1, entry.bytes),
    ttlResolution: 0,
    perf: { now: () => clock.now() },
    dispose: (_value, key, reason) => counters.disposed(orgOfKey(key), reason),
  });
}

/**
 * The entry when it has not expired. lru-cache counts an entry stale only once its age exceeds
 * the TTL; a period cached until midnight must be gone at midnight itself.
 */
export function freshEntry<V extends { expiresAt: number }>(
  cache: LRUCache<string, V>,
  key: string,
  counters: LevelCounters,
  now: number,
): V | undefined {
  const entry = cache.get(key);
  if (!entry || entry.expiresAt > now) return entry;
  cache.delete(key);
  counters.add(orgOfKey(key), 'expirations');
  return undefined;
}

/**
 * Drops every expired entry, counted as an expiration: those lru-cache holds stale (past their
 * TTL), which its keys() no longer lists, so that a walk by key (an invalidation) could not drop
 * them while they kept counting in size and bytes; and those at their expiry instant, which
 * lru-cache keeps one millisecond longer than `freshEntry` does.
 */
export function purgeExpiredEntries<V extends { expiresAt: number }>(
  cache: LRUCache<string, V>,
  counters: LevelCounters,
  now: number,
): void {
  // Disposed with reason 'expire', which counts them.
  cache.purgeStale();
  for (const key of [...cache.keys()]) {
    const entry = cache.peek(key);
    if (!entry || entry.expiresAt > now) continue;
    cache.delete(key);
    counters.add(orgOfKey(key), 'expirations');
  }
}

/** Deletes the live entries whose key matches; returns how many. */
export function deleteMatching<V extends object>(
  cache: LRUCache<string, V>,
  match: (key: string) => boolean,
): number {
  let dropped = 0;
  for (const key of [...cache.keys()]) {
    if (!match(key)) continue;
    if (cache.has(key)) dropped++;
    cache.delete(key);
  }
  return dropped;
}
