import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { LevelStats } from '#analytics';
import { HttpMetrics } from '#platform';
import { CostsService } from './costs.service.js';

type Level = 'frames' | 'results' | 'responses';
const LEVELS: readonly Level[] = ['frames', 'results', 'responses'];

const COUNTERS = {
  cost_cache_hits_total: ['hits', 'Cost cache reads answered from the level'],
  cost_cache_misses_total: ['misses', 'Cost cache reads the level could not answer'],
  cost_cache_evictions_total: [
    'evictions',
    'Entries pushed out of the level to make room (entry or byte bound)',
  ],
  cost_cache_expirations_total: ['expirations', 'Entries of the level found past their time to live'],
  cost_cache_invalidations_total: ['invalidations', 'Entries of the level dropped by an org invalidation'],
} as const satisfies Record<string, readonly [keyof LevelStats, string]>;

const GAUGES = {
  cost_cache_entries: ['size', 'Live entries the level holds'],
  cost_cache_bytes: ['memory_bytes', 'Bytes the live entries of the level hold'],
  cost_cache_max_bytes: ['max_memory_bytes', 'The byte bound of the level'],
} as const satisfies Record<string, readonly [keyof LevelStats, string]>;

/**
 * The cost cache in /metrics: each level's counters (hits, misses, evictions, expirations,
 * invalidations) and occupancy (entries, bytes, byte bound), the instance's figures of
 * `/cache/stats`, so an operator's scraper sees them without an API key. Read once per scrape:
 * prom-client calls every metric's collect in one turn, and reading the stats drops the expired
 * entries of each level first.
 */
@Injectable()
export class CostCacheMetrics {
  private snapshot: Record<Level, LevelStats> | undefined;

  constructor(metrics: HttpMetrics, costs: CostsService) {
    const levels = (): Record<Level, LevelStats> => {
      if (!this.snapshot) {
        const { frames, results, responses } = costs.cacheStats();
        this.snapshot = { frames, results, responses };
        queueMicrotask(() => (this.snapshot = undefined));
      }
      return this.snapshot;
    };
    for (const [name, [field, help]] of Object.entries(COUNTERS))
      new Counter({
        name,
        help,
        labelNames: ['level'],
        registers: [metrics.registry],
        collect() {
          // The stats are totals since the start; a counter takes them as they are.
          this.reset();
          for (const level of LEVELS) this.inc({ level }, levels()[level][field]);
        },
      });
    for (const [name, [field, help]] of Object.entries(GAUGES))
      new Gauge({
        name,
        help,
        labelNames: ['level'],
        registers: [metrics.registry],
        collect() {
          for (const level of LEVELS) this.set({ level }, levels()[level][field]);
        },
      });
  }
}
