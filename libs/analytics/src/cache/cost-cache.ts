import type { LRUCache } from 'lru-cache';
import type pl from 'nodejs-polars';
import { costDaysEnd } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';
import {
  COST_FRAME_COLUMN_SETS,
  type CostFrameColumns,
  estimateFrameBytes,
  frameColumnsCover,
} from '../frame/cost-frame.js';
import {
  type CostCacheStats,
  FRAME_LOAD_COUNTS,
  LevelCounters,
  occupancyOf,
  OrgTally,
} from './cache-stats.js';
import { DEFAULT_TODAY_TTL_MS, periodTtlMs } from './cache-ttl.js';
import { type Clock, systemClock } from './clock.js';
import {
  type CachedFrame,
  type CostCacheOptions,
  type FramePeriod,
  PeriodRefusedError,
  type ResultRead,
  type ResultEntry,
  type ResultKey,
} from './cost-cache.types.js';
import { coveringFrame, dropServingFrames } from './covering-frame.js';
import { FrameLoads } from './frame-loads.js';
import { KeptRefusals } from './kept-refusals.js';
import { OrgChangeMarks } from './org-change-marks.js';
import { estimateValueBytes } from './value-size.js';
import { costLevel, deleteMatching, freshEntry, purgeExpiredEntries } from './lru-expiry.js';
import { framePeriodPrefix, frameKey, keyOfOrg, orgOfKey, resultKey, UNCACHEABLE } from './cache-keys.js';

export type * from './cost-cache.types.js';
export { PeriodRefusedError } from './cost-cache.types.js';

export const COST_CACHE_CHANNEL = 'costs';
const MiB = 1024 * 1024;

/**
 * The two-level cost cache. Frames (the org's FOCUS rows of a period, as Polars) are bounded by
 * bytes; results (aggregations of a frame with given filters) by entries. Every key starts with
 * the org, so one org is dropped at once, here and — through the invalidation bus — on every
 * other instance. Concurrent misses of one frame share one warehouse query.
 */
export class CostCache {
  readonly clock: Clock;
  readonly todayTtlMs: number;
  private readonly frames: LRUCache<string, CachedFrame>;
  private readonly results: LRUCache<string, ResultEntry>;
  private readonly refusals: KeptRefusals;
  private readonly frameCounters = new LevelCounters();
  private readonly resultCounters = new LevelCounters();
  private readonly frameExtra = new OrgTally(FRAME_LOAD_COUNTS);
  private readonly inflight: FrameLoads<{ frame: CachedFrame; hit: boolean }>;
  private readonly marks = new OrgChangeMarks();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly dropListeners = new Set<(org: string) => void>();
  /** The origins of frames a forced refresh dropped: a result computed of one meanwhile is stale. */
  private readonly refreshedFrames = new WeakSet<object>();

  constructor(private readonly options: CostCacheOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.todayTtlMs = options.todayTtlMs ?? DEFAULT_TODAY_TTL_MS;
    const frameBound = [options.frameMaxEntries ?? 1_000, options.frameMaxBytes ?? 512 * MiB] as const;
    this.frames = costLevel(...frameBound, this.clock, this.frameCounters);
    const resultBound = [options.resultMaxEntries ?? 5_000, options.resultMaxBytes ?? 128 * MiB] as const;
    this.results = costLevel(...resultBound, this.clock, this.resultCounters);
    this.refusals = new KeptRefusals(this.clock);
    this.inflight = new FrameLoads((org) => this.frameExtra.add(org, 'waited'), options.frameLoadsMax);
    const bus = options.bus;
    if (bus) {
      this.unsubscribers.push(bus.subscribe(COST_CACHE_CHANNEL, (org) => void this.dropOrg(org)));
      // An invalidation published while this instance was cut off from Redis is lost: forget everything.
      const stop = bus.onReconnect?.(() => this.clear());
      if (stop) this.unsubscribers.push(stop);
    }
  }

  /**
   * The org's frame of a period with (at least) `columns`: cached, covered by a cached frame of a
   * longer period or of more columns, or loaded (once).
   */
  async frame(
    org: string,
    period: FramePeriod,
    load: () => Promise<pl.DataFrame>,
    columns: CostFrameColumns = 'rows',
  ): Promise<{ frame: CachedFrame; hit: boolean }> {
    const key = frameKey(org, period.start, period.end, columns);
    const cached = this.held(org, key, period, columns);
    if (cached) {
      this.frameCounters.add(org, 'hits');
      return { frame: cached, hit: true };
    }
    const refused = this.refusals.get(key);
    if (refused) {
      this.frameCounters.add(org, 'misses');
      this.frameExtra.add(org, 'refusal_hits');
      throw refused;
    }
    // A load of the same period with these columns or more serves this read too.
    const pending = COST_FRAME_COLUMN_SETS.filter((held) => frameColumnsCover(held, columns))
      .map((held) => ({ held, loading: this.inflight.get(frameKey(org, period.start, period.end, held)) }))
      .find((p) => p.loading !== undefined);
    if (pending?.loading) {
      this.frameExtra.add(org, 'coalesced');
      try {
        const shared = await pending.loading; // a hit if served from the cache after a wait (below)
        this.frameCounters.add(org, shared.hit ? 'hits' : 'misses');
        return shared;
      } catch (error) {
        // A load of more columns refused for what its period holds (a listing's FOCUS rows past the
        // bound) says nothing of these, which may hold far fewer rows (grouped): read them again (a
        // read counted once), the wider load's refusal kept and its entry gone by now.
        if (pending.held !== columns && error instanceof PeriodRefusedError)
          return this.frame(org, period, load, columns);
        this.frameCounters.add(org, 'misses');
        throw error;
      }
    }
    // One that waited for a load slot may find its frame cached meanwhile (a longer period's, say).
    return this.inflight.run(org, key, async (waited) => {
      const held = waited ? this.held(org, key, period, columns) : undefined;
      this.frameCounters.add(org, held ? 'hits' : 'misses');
      return held
        ? { frame: held, hit: true }
        : { frame: await this.load(org, key, period, columns, load), hit: false };
    });
  }

  /** Whether a read of this frame is refused without a load: a refusal of it is kept (see KeptRefusals). */
  refusalKept(org: string, period: { start: IsoDate; end: IsoDate }, columns: CostFrameColumns): boolean {
    return this.refusals.get(frameKey(org, period.start, period.end, columns)) !== undefined;
  }

  getResult<T>(org: string, key: ResultKey): T | undefined {
    const entry = freshEntry(this.results, resultKey(org, key), this.resultCounters, this.clock.now());
    this.resultCounters.add(org, entry ? 'hits' : 'misses');
    return entry?.value as T | undefined;
  }

  /**
   * Whether `value` is what the cache holds, fresh, for this key: a copy of the result made from it
   * (a serialized response) is still good. `count` counts the look as a hit or miss, as a read.
   */
  holdsResult(org: string, key: ResultKey, value: unknown, count: boolean): boolean {
    if (count) return this.getResult(org, key) === value;
    const entry = this.results.peek(resultKey(org, key));
    return entry !== undefined && entry.value === value && entry.expiresAt > this.clock.now();
  }

  /** The org's invalidation count, to note when what a read is made of (its settings) was read. */
  generation(org: string): number {
    return this.marks.generation(org);
  }

  /**
   * Keeps a result of `frame` for as long as the frame itself lives, and no longer than the days
   * of `read` (a frame loaded after they ended lives longer), unless the org was invalidated since
   * the frame's load or since `read` (when what else the result was computed of was read).
   */
  setResult(org: string, key: ResultKey, value: unknown, frame: CachedFrame, read?: ResultRead): void {
    const current = this.marks.generation(org);
    const since = read?.generation ?? frame.generation;
    if (frame.generation !== current || since !== current || this.refreshedFrames.has(frame.origin)) return;
    const expiresAt = read ? Math.min(frame.expiresAt, costDaysEnd(read, read.timeZone)) : frame.expiresAt;
    const ttl = expiresAt - this.clock.now();
    if (ttl <= 0) return;
    const entry = { value, bytes: estimateValueBytes(value), expiresAt };
    this.results.set(resultKey(org, key), entry, { ttl });
  }

  /**
   * A forced refresh of one period: drops every result over it and every frame that could serve it
   * (its own, and those of longer periods that contain it, which a read would otherwise narrow).
   */
  dropPeriod(org: string, start: IsoDate, end: IsoDate): { frames: number; results: number } {
    this.marks.refreshed(org);
    const prefix = framePeriodPrefix(org, start, end);
    const frames = dropServingFrames(this.frames, org, { start, end }, this.refreshedFrames);
    const results = deleteMatching(this.results, (k) => keyOfOrg(org)(k) && k.includes(`|${start}|${end}|`));
    this.refusals.drop((k) => k.startsWith(prefix));
    this.inflight.forget((key) => key.startsWith(prefix));
    return { frames, results };
  }

  /**
   * Drops everything cached for the org on this instance and, through the invalidation bus, on
   * every other one. Call it after any write that changes the org's costs (an import, a
   * re-allocation). Returns what this instance dropped.
   */
  async invalidateOrg(org: string): Promise<{ frames: number; results: number }> {
    const dropped = this.dropOrg(org);
    // This instance is already clean; the bus sends it again until Redis takes it. (A bus that throws
    // rather than rejects is caught too: the async arrow turns its throw into a rejection.)
    await (async () => this.options.bus?.publish(COST_CACHE_CHANNEL, org))().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger?.warn(`Cost cache invalidation not broadcast: ${reason}`);
    });
    return dropped;
  }

  /**
   * Calls `listener` whenever the org's entries are dropped here (an invalidation on any instance, or
   * `clear`), for what is cached beside this cache (an org's cost settings). Returns its remover.
   */
  onOrgDropped(listener: (org: string) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  /** Everything, every org (after a lost bus connection). */
  clear(): void {
    // dump() lists expired entries too (keys() skips them): their orgs' settings are told as well.
    // So are orgs with only a kept refusal or a load under way: that load, begun before the lost
    // invalidation, must not keep its frame or refusal (its org's generation moves on).
    const keys = [
      ...[...this.frames.dump(), ...this.results.dump()].map(([key]) => key),
      ...this.refusals.keys(),
      ...this.inflight.keys(),
    ];
    for (const org of new Set(keys.map(orgOfKey))) {
      this.marks.invalidated(org);
      for (const listener of this.dropListeners) listener(org);
    }
    this.inflight.forget(() => true);
    this.frames.clear();
    this.results.clear();
    this.refusals.clear();
  }

  /**
   * The counters, and the size and bytes of the live entries (expired ones are dropped first): the
   * instance's, or with `org` only that org's (the bounds stay the instance's).
   */
  stats(org?: string): CostCacheStats {
    this.purgeExpired();
    const held = <V extends object>(cache: LRUCache<string, V>) =>
      org === undefined
        ? { size: cache.size, bytes: cache.calculatedSize }
        : occupancyOf(cache, [...cache.keys()].filter(keyOfOrg(org)));
    return {
      frames: {
        ...this.frameCounters.snapshot(org, held(this.frames), this.frames.max, this.frames.maxSize),
        ...this.frameExtra.of(org),
      },
      results: this.resultCounters.snapshot(org, held(this.results), this.results.max, this.results.maxSize),
    };
  }

  close(): void {
    for (const stop of this.unsubscribers.splice(0)) stop();
  }

  /** Nest calls this before the invalidation bus shuts down, so the cache unsubscribes first. */
  onModuleDestroy(): void {
    this.close();
  }

  /** Run in a load slot (LoadSlots): an invalidation while it waited for one came before its query. */
  private async load(
    org: string,
    key: string,
    period: FramePeriod,
    columns: CostFrameColumns,
    load: () => Promise<pl.DataFrame>,
  ): Promise<CachedFrame> {
    const mark = this.marks.mark(org, period.generation);
    this.frameExtra.add(org, 'loads');
    let df: pl.DataFrame;
    try {
      df = await load();
    } catch (error) {
      if (error instanceof PeriodRefusedError) {
        this.frameExtra.add(org, 'refused');
        // Kept as a frame would be: not when an invalidation or a forced refresh raced with the load.
        if (!this.marks.invalidatedSince(org, mark) && !this.marks.refreshedSince(org, mark))
          this.refusals.keep(key, error, this.ttlOf(period));
      }
      throw error;
    }
    const now = this.clock.now();
    const ttl = this.ttlOf(period, now);
    const frame: CachedFrame = {
      df,
      start: period.start,
      end: period.end,
      columns,
      bytes: estimateFrameBytes(df),
      expiresAt: now + ttl,
      generation: mark.generation,
      origin: {},
    };
    // A load that raced with an invalidation serves its own request but is not kept.
    if (this.marks.invalidatedSince(org, mark)) return frame;
    // Nor one that raced with a forced refresh of a period (it may hold the data being refreshed):
    // neither it nor a result of it is kept.
    if (this.marks.refreshedSince(org, mark)) return { ...frame, generation: UNCACHEABLE };
    if (frame.bytes > this.frames.maxSize) {
      this.frameExtra.add(org, 'oversize');
      return frame;
    }
    this.frames.set(key, frame, { ttl });
    // The period's narrower frames are covered by this one from now on: their bytes are freed.
    for (const held of COST_FRAME_COLUMN_SETS)
      if (held !== columns && frameColumnsCover(columns, held))
        this.frames.delete(frameKey(org, period.start, period.end, held));
    return frame;
  }

  /** How long a frame of `period` loaded now lives (see periodTtlMs). */
  private ttlOf(period: FramePeriod, now = this.clock.now()): number {
    return periodTtlMs(period, { ...period, nowMs: now, todayTtlMs: this.todayTtlMs });
  }

  /** A fresh cached frame of the period with these columns: its own, or one that covers it. */
  private held(org: string, key: string, period: FramePeriod, columns: CostFrameColumns) {
    const fresh = (k: string) => freshEntry(this.frames, k, this.frameCounters, this.clock.now());
    const own = fresh(key);
    if (own) return own;
    const covering = coveringFrame(this.frames, org, period, columns, fresh);
    if (covering) this.frameExtra.add(org, 'covering_hits');
    return covering;
  }

  /** Drops every expired entry of both levels, counted as expirations (see purgeExpiredEntries). */
  private purgeExpired(): void {
    const now = this.clock.now();
    purgeExpiredEntries(this.frames, this.frameCounters, now);
    purgeExpiredEntries(this.results, this.resultCounters, now);
  }

  private dropOrg(org: string): { frames: number; results: number } {
    this.marks.invalidated(org);
    for (const listener of this.dropListeners) listener(org);
    this.inflight.forget(keyOfOrg(org));
    // What has expired goes as expired (whatever its org): what is left is live, and listed by keys().
    this.purgeExpired();
    const frames = deleteMatching(this.frames, keyOfOrg(org));
    const results = deleteMatching(this.results, keyOfOrg(org));
    this.refusals.drop(keyOfOrg(org));
    this.frameCounters.add(org, 'invalidations', frames);
    this.resultCounters.add(org, 'invalidations', results);
    return { frames, results };
  }
}
