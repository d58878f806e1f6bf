import { LRUCache } from 'lru-cache';

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

/** The frame level's counts of how its loads went (FrameLevelStats). */
export const FRAME_LOAD_COUNTS = [
  'loads',
  'coalesced',
  'covering_hits',
  'oversize',
  'refused',
  'refusal_hits',
  'waited',
] as const;

export interface FrameLevelStats extends LevelStats {
  /** Warehouse queries started. */
  loads: number;
  /** Requests that waited for a load another request had started. */
  coalesced: number;
  /** Hits served by a cached frame of a longer period, or of more columns, that covers the one asked for. */
  covering_hits: number;
  /** Frames too big to cache at all (served, then dropped). */
  oversize: number;
  /** Loads refused for what their period holds (more rows than a frame may hold; PeriodRefusedError). */
  refused: number;
  /** Reads refused again from a kept refusal, without a warehouse query. */
  refusal_hits: number;
  /**
   * Loads that waited for a free load slot (COST_FRAME_LOADS_MAX); one that then found its frame
   * cached meanwhile (covering it) was served from it, a hit, without a query.
   */
  waited: number;
}

export interface CostCacheStats {
  frames: FrameLevelStats;
  results: LevelStats;
}

/**
 * Orgs whose own counts are kept. Beyond it the least recently counted org's counts go (they start
 * again from zero): an org stays counted after it is offboarded, and a long-running instance saw
 * every org it ever served, ~240 bytes an org for each counted level (+22 MB per 100,000 orgs of
 * the result level alone).
 */
export const MAX_COUNTED_ORGS = 10_000;

/** Counts kept for the whole instance and for each org: an org's key is shown only its own. */
export class OrgTally<K extends string> {
  private readonly all: Record<K, number>;
  private readonly orgs = new LRUCache<string, Record<K, number>>({ max: MAX_COUNTED_ORGS });

  constructor(private readonly names: readonly K[]) {
    this.all = zeros(names);
  }

  add(org: string, name: K, n = 1): void {
    if (n === 0) return;
    this.all[name] += n;
    let own = this.orgs.get(org);
    if (!own) this.orgs.set(org, (own = zeros(this.names)));
    own[name] += n;
  }

  /** The instance's counts, or those of one org. */
  of(org?: string): Readonly<Record<K, number>> {
    return org === undefined ? this.all : (this.orgs.get(org) ?? zeros(this.names));
  }
}

function zeros<K extends string>(names: readonly K[]): Record<K, number> {
  return Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
}

const LEVEL_COUNTS = ['hits', 'misses', 'evictions', 'expirations', 'invalidations'] as const;

/** What one cache level holds, for the instance or for one org. */
export interface Occupancy {
  size: number;
  bytes: number;
}

/** How many of `keys` `cache` holds, and their bytes (lru-cache's size of each). */
export function occupancyOf<V extends object>(cache: LRUCache<string, V>, keys: Iterable<string>): Occupancy {
  let size = 0;
  let bytes = 0;
  for (const key of keys) {
    const held = cache.info(key);
    if (!held) continue;
    size++;
    bytes += held.size ?? 0;
  }
  return { size, bytes };
}

export class LevelCounters extends OrgTally<(typeof LEVEL_COUNTS)[number]> {
  constructor() {
    super(LEVEL_COUNTS);
  }

  /** lru-cache's dispose reasons, counted. */
  disposed(org: string, reason: string): void {
    if (reason === 'evict') this.add(org, 'evictions');
    else if (reason === 'expire') this.add(org, 'expirations');
  }

  /** The counters of the instance (org undefined) or of one org, with what the level holds for it. */
  snapshot(org: string | undefined, held: Occupancy, maxSize: number | null, maxBytes: number): LevelStats {
    const counts = this.of(org);
    const lookups = counts.hits + counts.misses;
    const mb = (n: number) => Math.round((n / 1024 / 1024) * 100) / 100;
    return {
      ...counts,
      size: held.size,
      max_size: maxSize,
      memory_bytes: held.bytes,
      max_memory_bytes: maxBytes,
      memory_mb: mb(held.bytes),
      max_memory_mb: mb(maxBytes),
      memory_utilization: maxBytes > 0 ? Math.round((held.bytes / maxBytes) * 10_000) / 10_000 : 0,
      hit_rate: lookups ? Math.round((counts.hits / lookups) * 10_000) / 10_000 : 0,
    };
  }
}
