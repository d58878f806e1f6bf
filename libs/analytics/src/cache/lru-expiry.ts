import type { LRUCache } from 'lru-cache';
import { orgOfKey } from './cache-keys.js';
import type { LevelCounters } from './cache-stats.js';

// Expiry of the cost cache's lru-cache levels, whose entries carry their own `expiresAt`.

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
