import { Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import {
  type CachedFrame,
  CostCache,
  type CostFrameColumns,
  type DateRange,
  prepareCostFrame,
  type ResultKey,
} from '#analytics';
import type { OrgCostContext } from './cost-context.service.js';
import { CostsRepository } from './costs.repository.js';

export interface Read<T> {
  value: T;
  /** True when no warehouse query was needed. */
  cacheHit: boolean;
  /** The value's key in the result cache. */
  key: ResultKey;
}

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
    period: DateRange,
    columns: CostFrameColumns,
  ): Promise<{ frame: CachedFrame; hit: boolean }> {
    return this.cache.frame(
      ctx.org,
      {
        start: period.start,
        end: period.end,
        today: ctx.today,
        utcToday: ctx.utcToday,
        timeZone: ctx.timeZone,
      },
      async () =>
        prepareCostFrame(
          await this.repository.loadFrame(ctx.org, period.start, period.end, columns),
          columns,
        ),
      columns,
    );
  }

  /** `compute` runs on the period's frame of `columns` only when the result is not cached. */
  async read<T>(
    ctx: OrgCostContext,
    period: DateRange,
    columns: CostFrameColumns,
    kind: string,
    variant: string,
    compute: (df: pl.DataFrame) => T,
  ): Promise<Read<T>> {
    const key = { kind, start: period.start, end: period.end, variant };
    const cached = this.cache.getResult<T>(ctx.org, key);
    if (cached !== undefined) return { value: cached, cacheHit: true, key };
    const { frame, hit } = await this.frame(ctx, period, columns);
    const value = compute(frame.df);
    this.cache.setResult(ctx.org, key, value, frame);
    return { value, cacheHit: hit, key };
  }

  /** Forgets one period of the org (trend-granular's clear_cache). */
  dropPeriod(ctx: OrgCostContext, period: DateRange): void {
    this.cache.dropPeriod(ctx.org, period.start, period.end);
  }
}
