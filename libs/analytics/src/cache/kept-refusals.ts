import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import type { PeriodRefusedError } from './cost-cache.types.js';
import { deleteMatching } from './lru-expiry.js';

/**
 * Loads refused for what their period holds (PeriodRefusedError), by frame key, each until the
 * frame would have expired: the cost cache answers the same refusal again without a warehouse
 * query, and drops it with the org's (or the period's) other entries.
 */
export class KeptRefusals {
  private readonly entries: LRUCache<string, { error: PeriodRefusedError; expiresAt: number }>;

  constructor(private readonly clock: Clock) {
    this.entries = new LRUCache({ max: 1_000, ttlResolution: 0, perf: { now: () => clock.now() } });
  }

  /** The refusal kept for this frame key, while it holds. */
  get(key: string): PeriodRefusedError | undefined {
    const kept = this.entries.get(key);
    return kept && kept.expiresAt > this.clock.now() ? kept.error : undefined;
  }

  keep(key: string, error: PeriodRefusedError, ttl: number): void {
    this.entries.set(key, { error, expiresAt: this.clock.now() + ttl }, { ttl });
  }

  /** Drops the refusals whose keys match. */
  drop(matches: (key: string) => boolean): void {
    deleteMatching(this.entries, matches);
  }

  /** Every key held, expired ones included (for the orgs to tell after a lost bus connection). */
  keys(): string[] {
    return this.entries.dump().map(([key]) => key);
  }

  clear(): void {
    this.entries.clear();
  }
}
