import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { INVALIDATION_BUS, type InvalidationBus } from '#platform';
import type { PipelineStatusDto } from './dto/pipeline-logs-response.dto.js';

const CHANNEL = 'pipelines:status';
const TTL_MS = 60_000;
/** Orgs whose own counters are kept (see byOrg). */
const MAX_COUNTED_ORGS = 10_000;

export type CachedStatus = Omit<PipelineStatusDto, 'cached'>;

export interface StatusCacheMetrics {
  /** `organization`: one org's lookups (its key asked); `instance`: every org's (the root key). */
  scope: 'organization' | 'instance';
  hits: number;
  misses: number;
  invalidations: number;
  /** hits / (hits + misses), 4 decimals; 0 before the first lookup. */
  hit_rate: number;
  total_requests: number;
}

/**
 * The daily-status answers, per org and UTC date (a new day is a new key, so yesterday's answer is
 * never served after midnight). A trigger clears the org's entries on every instance through the
 * invalidation bus. Metrics are those of this instance, in all and per org: how busy other
 * tenants are is not a tenant's business.
 */
@Injectable()
export class PipelineStatusCache implements OnModuleDestroy {
  private readonly logger = new Logger(PipelineStatusCache.name);
  private readonly cache = new LRUCache<string, CachedStatus>({ max: 10_000, ttl: TTL_MS });
  private readonly unsubscribe: () => void;
  private readonly stopReconnectListener: () => void;
  private readonly total = newCounts();
  /**
   * Per org: orgs that made an authenticated lookup or trigger, offboarded ones too, so every org a
   * long-running instance ever served; the least recently counted beyond MAX_COUNTED_ORGS start
   * again from zero.
   */
  private readonly byOrg = new LRUCache<string, Counts>({ max: MAX_COUNTED_ORGS });
  /** Counts the invalidations this instance heard; see mark. */
  private sequence = 0;
  /**
   * Per org, the sequence number of its latest invalidation: for the most recently invalidated
   * orgs, as a read that started before one of them ends long before so many others are.
   */
  private readonly invalidatedAt = new LRUCache<string, number>({ max: MAX_COUNTED_ORGS });
  /** The sequence number of the latest forgetAll. */
  private clearedAt = -1;

  constructor(@Inject(INVALIDATION_BUS) private readonly bus: InvalidationBus) {
    this.unsubscribe = bus.subscribe(CHANNEL, (org) => this.forget(org));
    // A trigger published while this instance was cut off from Redis went unheard: forget every answer.
    this.stopReconnectListener = bus.onReconnect?.(() => this.forgetAll()) ?? (() => undefined);
  }

  get(org: string, date: string): CachedStatus | undefined {
    const hit = this.cache.get(key(org, date));
    this.count(org, hit ? 'hits' : 'misses');
    return hit;
  }

  /** Taken before reading the status to `set`: an invalidation of the org after it voids that read. */
  mark(): number {
    return this.sequence;
  }

  /**
   * Keeps `status`, read after `mark` was taken, unless the org was invalidated since: that answer
   * may predate the run a trigger just started, and would hide it for the entry's whole TTL.
   */
  set(org: string, date: string, status: CachedStatus, mark: number): void {
    if (this.clearedAt > mark || (this.invalidatedAt.get(org) ?? -1) > mark) return;
    this.cache.set(key(org, date), status);
  }

  /** Clears the org's entries here at once and on the other instances shortly after. */
  async invalidateOrg(org: string): Promise<void> {
    try {
      await this.bus.publish(CHANNEL, org);
    } catch (err) {
      // The entry here is cleared anyway; the bus sends it again until Redis takes it.
      this.forget(org);
      this.logger.warn(`Status cache invalidation could not be broadcast: ${String(err)}`);
    }
  }

  /** The instance's counters, or with `org` that org's alone. */
  metrics(org?: string): StatusCacheMetrics {
    const counts = org === undefined ? this.total : (this.byOrg.get(org) ?? newCounts());
    const total = counts.hits + counts.misses;
    return {
      scope: org === undefined ? 'instance' : 'organization',
      ...counts,
      hit_rate: total === 0 ? 0 : Math.round((counts.hits / total) * 10_000) / 10_000,
      total_requests: total,
    };
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.stopReconnectListener();
  }

  /** Every org at once, as after a reconnect; a read started before it is not kept either. */
  private forgetAll(): void {
    this.clearedAt = ++this.sequence;
    this.cache.clear();
  }

  private forget(org: string): void {
    this.invalidatedAt.set(org, ++this.sequence);
    const prefix = `${org}:`;
    for (const k of [...this.cache.keys()])
      if (k.startsWith(prefix)) {
        this.cache.delete(k);
        this.count(org, 'invalidations');
      }
  }

  private count(org: string, what: keyof Counts): void {
    this.total[what]++;
    let counts = this.byOrg.get(org);
    if (!counts) this.byOrg.set(org, (counts = newCounts()));
    counts[what]++;
  }
}

interface Counts {
  hits: number;
  misses: number;
  invalidations: number;
}

const newCounts = (): Counts => ({ hits: 0, misses: 0, invalidations: 0 });

function key(org: string, date: string): string {
  return `${org}:${date}`;
}
