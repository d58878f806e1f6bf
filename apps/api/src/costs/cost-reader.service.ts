import { Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import { type CachedFrame, CostCache, type DateRange, prepareCostFrame } from '#analytics';
import type { OrgCostContext } from './cost-context.service.js';
import { CostsRepository } from './costs.repository.js';

export interface Read<T> {
  value: T;
  /** True when no warehouse query was needed. */
  cacheHit: boolean;
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

  async frame(ctx: OrgCostContext, period: DateRange): Promise<{ frame: CachedFrame; hit: boolean }> {
    return this.cache.frame(
      ctx.org,
      { start: period.start, end: period.end, today: ctx.today, timeZone: ctx.timeZone },
      async () => prepareCostFrame(await this.repository.loadFrame(ctx.org, period.start, period.end)),
    );
  }

  /** `compute` runs on the period's frame only when the result is not cached. */
  async read<T>(
    ctx: OrgCostContext,
    period: DateRange,
    kind: string,
    variant: string,
    compute: (df: pl.DataFrame) => T,
  ): Promise<Read<T>> {
    const key = { kind, start: period.start, end: period.end, variant };
    const cached = this.cache.getResult<T>(ctx.org, key);
    if (cached !== undefined) return { value: cached, cacheHit: true };
    const { frame, hit } = await this.frame(ctx, period);
    const value = compute(frame.df);
    this.cache.setResult(ctx.org, key, value, frame);
    return { value, cacheHit: hit };
  }

  /** Forgets one period of the org (trend-granular's clear_cache). */
  dropPeriod(ctx: OrgCostContext, period: DateRange): void {
    this.cache.dropPeriod(ctx.org, period.start, period.end);
  }
}
