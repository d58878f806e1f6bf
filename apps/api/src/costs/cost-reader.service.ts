import { Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import {
  type CachedFrame,
  CostCache,
  type CostFrameColumns,
  type DateRange,
  type PeriodSource,
  prepareCostFrame,
  type ResolvedPeriod,
  type ResultKey,
} from '#analytics';
import { validationError } from '#platform';
import type { OrgCostContext } from './cost-context.service.js';
import { costReadError } from './cost-row-out-of-range.error.js';
import { CostsRepository } from './costs.repository.js';
import { PeriodTooLargeError } from './period-too-large.error.js';

export interface Read<T> {
  value: T;
  /** True when no warehouse query was needed. */
  cacheHit: boolean;
  /** The value's key in the result cache. */
  key: ResultKey;
}

/**
 * The request field that set a period, named by a refusal of it: `days` sets a trend window (the
 * granular one's by default: 365) when no dates are given; a fiscal year to date (no dates) is
 * shortened by giving start_date and end_date.
 */
const PERIOD_FIELD: Record<PeriodSource, string> = {
  custom: 'start_date',
  period: 'start_date',
  fiscal_year: 'start_date',
  fiscal_ytd: 'start_date',
  last_days: 'days',
};

/**
 * The path of every cost read: the result cache, else the org's frame of the period (cache, a
 * cached longer period, or one warehouse query), then a pure aggregation of it.
 */
@Injectable()
export class CostReader {
  constructor(
    private readonly cache: CostCache,
    private readonly repository: CostsRepository,
  ) {}

  /**
   * The period's frame of (at least) `columns`: the narrowest set a read needs loads fastest
   * (see CostFrameColumns); a cached wider frame serves it as well.
   */
  async frame(
    ctx: OrgCostContext,
    period: ResolvedPeriod,
    columns: CostFrameColumns,
  ): Promise<{ frame: CachedFrame; hit: boolean }> {
    try {
      return await this.load(ctx, period, columns);
    } catch (error) {
      if (!(error instanceof PeriodTooLargeError)) throw error;
      const field = PERIOD_FIELD[period.source];
      throw validationError([{ field, message: `${error.message}; ask for a shorter period` }]);
    }
  }

  /**
   * The period's frame of FOCUS rows (every row column), or null when the period holds more rows
   * than one read may load (COST_LISTING_FRAME_MAX_ROWS): a listing then pages in the warehouse. `hit`
   * says whether no warehouse query was needed, a refusal included (one kept asks nothing; one
   * found now counted the period's rows).
   */
  async rowsFrame(
    ctx: OrgCostContext,
    period: DateRange,
  ): Promise<{ frame: CachedFrame | null; hit: boolean }> {
    const kept = this.cache.refusalKept(ctx.org, period, 'rows');
    try {
      return await this.load(ctx, period, 'rows');
    } catch (error) {
      if (error instanceof PeriodTooLargeError) return { frame: null, hit: kept };
      throw error;
    }
  }

  /** The frame through the cost cache; a refusal of the period's costs as the client reads it. */
  private load(ctx: OrgCostContext, period: DateRange, columns: CostFrameColumns) {
    return this.cache
      .frame(
        ctx.org,
        {
          start: period.start,
          end: period.end,
          today: ctx.today,
          utcToday: ctx.utcToday,
          timeZone: ctx.timeZone,
          generation: ctx.generation,
        },
        async () =>
          prepareCostFrame(
            await this.repository.loadFrame(ctx.org, period.start, period.end, columns),
            columns,
          ),
        columns,
      )
      .catch((error: unknown) => {
        throw costReadError(error);
      });
  }

  /** `compute` runs on the period's frame of `columns` only when the result is not cached. */
  async read<T>(
    ctx: OrgCostContext,
    period: ResolvedPeriod,
    columns: CostFrameColumns,
    kind: string,
    variant: string,
    compute: (df: pl.DataFrame) => T | Promise<T>,
  ): Promise<Read<T>> {
    const key = { kind, start: period.start, end: period.end, variant };
    const cached = this.cache.getResult<T>(ctx.org, key);
    if (cached !== undefined) return { value: cached, cacheHit: true, key };
    const { frame, hit } = await this.frame(ctx, period, columns);
    const value = await compute(frame.df);
    this.cache.setResult(ctx.org, key, value, frame, ctx);
    return { value, cacheHit: hit, key };
  }

  /** Forgets one period of the org (trend-granular's clear_cache). */
  dropPeriod(ctx: OrgCostContext, period: DateRange): void {
    this.cache.dropPeriod(ctx.org, period.start, period.end);
  }
}
