import type pl from 'nodejs-polars';
import type { CostDays } from '../calendar/cost-days.js';
import type { IsoDate } from '../calendar/iso-date.js';
import type { CostFrameColumns } from '../frame/cost-frame.js';
import type { Clock } from './clock.js';

/** The slice of the platform's InvalidationBus the cache uses (kept structural: libs stay independent). */
export interface CostCacheBus {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): () => void;
  onReconnect?(listener: () => void): () => void;
}

export interface CostCacheLogger {
  warn(message: string): void;
}

export interface CostCacheOptions {
  /** Bound of the frame level, by Polars' estimated frame size. Default 512 MiB. */
  frameMaxBytes?: number;
  /**
   * A second bound of the frame level, in entries (many small frames of many orgs). Default 1,000.
   * It also bounds the scan for a cached frame covering a period.
   */
  frameMaxEntries?: number;
  /** Bound of the result level, in entries. Default 5,000. */
  resultMaxEntries?: number;
  /** A second bound of the result level, by estimated size. Default 128 MiB. */
  resultMaxBytes?: number;
  /**
   * Frame loads running at once on the instance (LoadSlots), one org's at most all but one of them
   * (when more than one); the others wait for a slot. Default 4.
   */
  frameLoadsMax?: number;
  /** Time to live of a period that may still change (see periodTtlMs). Default 60 s. */
  todayTtlMs?: number;
  clock?: Clock;
  bus?: CostCacheBus | null;
  logger?: CostCacheLogger;
}

/** The period a frame holds, and what decides its time to live: the days it was resolved against. */
export interface FramePeriod extends CostDays {
  start: IsoDate;
  end: IsoDate;
  timeZone: string;
  /**
   * The org's generation (CostCache.generation) when the settings the period was resolved with
   * were read: its load is kept only if the org was not invalidated since then (a time-zone change
   * while the read waited for them or for a load slot). Default: when the load begins.
   */
  generation?: number;
}

/**
 * What a result was computed of besides its frame: the org's settings, read at `generation`
 * (CostCache.generation), and the days it was resolved against, in the org's time zone.
 */
export interface ResultRead extends CostDays {
  timeZone: string;
  generation: number;
}

export interface CachedFrame {
  readonly df: pl.DataFrame;
  readonly start: IsoDate;
  readonly end: IsoDate;
  /** The column set the frame holds. */
  readonly columns: CostFrameColumns;
  readonly bytes: number;
  readonly expiresAt: number;
  /** The org's invalidation count when the load started: results of an older one are not kept. */
  readonly generation: number;
  /** Its load's own token, kept by a narrowed copy: results of a frame a refresh dropped are not kept. */
  readonly origin: object;
}

/** A result's identity inside an org: what was computed, over which period, with which parameters. */
export interface ResultKey {
  kind: string;
  start: IsoDate;
  end: IsoDate;
  variant: string;
}

/**
 * A load refused for what the period holds (more rows than a frame may have): it stands until the
 * org's costs change, as a frame of the period would, so the cache keeps it for that frame's time
 * to live and answers the same refusal again without another warehouse query (on BigQuery the
 * query that found it too large was billed in full). An invalidation of the org drops it.
 */
export class PeriodRefusedError extends Error {}

/** A result as the result level keeps it: its value, estimated size and expiry. */
export interface ResultEntry {
  value: unknown;
  bytes: number;
  expiresAt: number;
}
