/** Counters of one cache level, as /cache/stats reports them. */
export interface LevelStats {
  hits: number;
  misses: number;
  /** Entries pushed out to make room (entry or byte bound). */
  evictions: number;
  /** Entries found past their time to live. */
  expirations: number;
  /** Entries dropped by an org invalidation. */
  invalidations: number;
  size: number;
  max_size: number | null;
  memory_bytes: number;
  max_memory_bytes: number;
  memory_mb: number;
  max_memory_mb: number;
  memory_utilization: number;
  hit_rate: number;
}

export interface FrameLevelStats extends LevelStats {
  /** Warehouse queries started. */
  loads: number;
  /** Requests that waited for a load another request had started. */
  coalesced: number;
  /** Hits served by a cached frame of a longer period, or of more columns, that covers the one asked for. */
  covering_hits: number;
  /** Frames too big to cache at all (served, then dropped). */
  oversize: number;
}

export interface CostCacheStats {
  frames: FrameLevelStats;
  results: LevelStats;
}

export class LevelCounters {
  hits = 0;
  misses = 0;
  evictions = 0;
  expirations = 0;
  invalidations = 0;

  /** lru-cache's dispose reasons, counted. */
  disposed(reason: string): void {
    if (reason === 'evict') this.evictions++;
    else if (reason === 'expire') this.expirations++;
  }

  snapshot(size: number, maxSize: number | null, bytes: number, maxBytes: number): LevelStats {
    const lookups = this.hits + this.misses;
    const mb = (n: number) => Math.round((n / 1024 / 1024) * 100) / 100;
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      invalidations: this.invalidations,
      size,
      max_size: maxSize,
      memory_bytes: bytes,
      max_memory_bytes: maxBytes,
      memory_mb: mb(bytes),
      max_memory_mb: mb(maxBytes),
      memory_utilization: maxBytes > 0 ? Math.round((bytes / maxBytes) * 10_000) / 10_000 : 0,
      hit_rate: lookups ? Math.round((this.hits / lookups) * 10_000) / 10_000 : 0,
    };
  }
}
