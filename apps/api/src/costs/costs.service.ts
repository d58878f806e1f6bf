import { Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import {
  aggregateColumnsFor,
  applyCostFilters,
  categorySummary,
  type CostCategory,
  CostCache,
  type CostCacheStats,
  type CostTotals,
  type CostFilters,
  costByDate,
  costByProvider,
  costByService,
  costFiltersKey,
  costSummary,
  costTotals,
  DateRangeError,
  granularTrend,
  type IsoDate,
  type LevelStats,
  type ResolvedPeriod,
  resolveCostPeriod,
  resolveTrendWindow,
  toMoney,
  totalByCategory,
  type TrendGranularity,
} from '#analytics';
import { PlatformError, PlatformErrorCode } from '#platform';
import { CostContextService, type OrgCostContext } from './cost-context.service.js';
import {
  categoryFields,
  datedItems,
  dateRange,
  type Envelope,
  granularFields,
  providerItems,
  serviceItems,
  summaryFields,
  totalFields,
  totalPartFields,
} from './cost-presenter.js';
import { CostListing, type ListingPage } from './cost-listing.service.js';
import { type Read, CostReader } from './cost-reader.service.js';
import { CostResponseCache, withSource } from './cost-response-cache.js';

/** Dates and filters of a cost read, as the service takes them. */
export interface CostReadInput {
  startDate?: IsoDate;
  endDate?: IsoDate;
  filters: CostFilters;
}

export interface TrendOptions {
  granularity: TrendGranularity;
  days: number;
  category?: CostCategory;
}

export interface GranularOptions {
  startDate?: IsoDate;
  endDate?: IsoDate;
  days: number;
  clearCache: boolean;
}

/** The three categories with a route of their own (C7–C9). */
export type RoutedCategory = 'subscription' | 'cloud' | 'genai';

/** A date range that cannot be served is a field violation of the request (422). */
function resolving<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (!(error instanceof DateRangeError)) throw error;
    throw new PlatformError(PlatformErrorCode.ValidationFailed, error.message, {
      extra: { errors: [{ field: error.field, message: error.message }] },
    });
  }
}

/** The summary of a breakdown (by provider, service or date): its total and period. */
function breakdownSummary(totals: CostTotals, period: ResolvedPeriod) {
  return {
    total_cost: toMoney(totals.billed),
    record_count: totals.recordCount,
    date_range: dateRange(period),
  };
}

/** The cost reads of reference §5: resolve the period, read through the cache, shape the answer. */
@Injectable()
export class CostsService {
  constructor(
    private readonly contexts: CostContextService,
    private readonly reader: CostReader,
    private readonly listing: CostListing,
    private readonly cache: CostCache,
    private readonly responses: CostResponseCache,
  ) {}

  /** C1: raw rows, newest day first, one page. */
  async rows(org: string, input: CostReadInput, page: ListingPage): Promise<Envelope> {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    const read = await this.listing.page(ctx, period, input.filters, page);
    const pagination = { limit: page.limit, offset: page.offset, total: read.value.total };
    return this.envelope(ctx, started, read.cacheHit, read.value.rows, null, pagination);
  }

  /** C2 */
  async summary(org: string, input: CostReadInput): Promise<Envelope> {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    const read = await this.aggregate(ctx, period, 'summary', input.filters, (rows) =>
      costSummary(rows, period, ctx),
    );
    return served(
      ctx,
      read,
      this.envelope(ctx, started, read.cacheHit, null, summaryFields(read.value, period)),
    );
  }

  /** C3 */
  async byProvider(org: string, input: CostReadInput): Promise<Envelope> {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    const read = await this.aggregate(ctx, period, 'by_provider', input.filters, (rows) => ({
      items: costByProvider(rows),
      totals: costTotals(rows),
    }));
    const { items, totals } = read.value;
    return served(
      ctx,
      read,
      this.envelope(ctx, started, read.cacheHit, providerItems(items), breakdownSummary(totals, period)),
    );
  }

  /** C4 */
  async byService(org: string, input: CostReadInput): Promise<Envelope> {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    const read = await this.aggregate(ctx, period, 'by_service', input.filters, (rows) => ({
      items: costByService(rows),
      totals: costTotals(rows),
    }));
    const { items, totals } = read.value;
    return served(
      ctx,
      read,
      this.envelope(ctx, started, read.cacheHit, serviceItems(items), breakdownSummary(totals, period)),
    );
  }

  /** C5: the last `days` days (or the given range) by day, week or month. */
  async trend(org: string, input: CostReadInput, options: TrendOptions): Promise<Envelope> {
    const started = performance.now();
    const ctx = await this.contexts.context(org);
    const period = resolving(() => resolveTrendWindow(input, options.days, ctx));
    const filters: CostFilters = { ...input.filters, category: options.category };
    const read = await this.aggregate(
      ctx,
      period,
      'trend',
      filters,
      (rows) => ({ items: costByDate(rows, options.granularity), totals: costTotals(rows) }),
      options.granularity,
    );
    const { items, totals } = read.value;
    const summary = {
      granularity: options.granularity,
      category: options.category ?? null,
      ...breakdownSummary(totals, period),
    };
    return served(ctx, read, this.envelope(ctx, started, read.cacheHit, datedItems(items), summary));
  }

  /** C6: grouped rows for client-side filtering; takes no filters, so one entry serves them all. */
  async granular(org: string, options: GranularOptions): Promise<Envelope> {
    const started = performance.now();
    const ctx = await this.contexts.context(org);
    const period = resolving(() => resolveTrendWindow(options, options.days, ctx));
    if (options.clearCache) this.reader.dropPeriod(ctx, period);
    const read = await this.reader.read(ctx, period, 'hierarchy', 'granular', '', async (df) => ({
      trend: await granularTrend(df),
      totals: costTotals(df),
    }));
    const { data, summary } = granularFields(read.value.trend, read.value.totals, period);
    return this.envelope(ctx, started, read.cacheHit, data, summary);
  }

  /** C7–C9: the rows of one category, newest first, one page (see CostCategoryQueryDto), and its summary. */
  async category(
    org: string,
    category: RoutedCategory,
    input: CostReadInput,
    page: ListingPage,
  ): Promise<Envelope> {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    // The listing first: a frame of the period's rows it loads serves the summary as well.
    const listed = await this.listing.page(ctx, period, { ...input.filters, category }, page);
    const summary = await this.aggregate(ctx, period, `category:${category}`, input.filters, (rows) =>
      categorySummary(rows, category, period, ctx),
    );
    const pagination = { limit: page.limit, offset: page.offset, total: listed.value.total };
    return this.envelope(
      ctx,
      started,
      listed.cacheHit && summary.cacheHit,
      listed.value.rows,
      categoryFields(summary.value, period),
      pagination,
    );
  }

  /** C10: the four categories side by side and their sum (each row counted once). */
  async total(org: string, input: CostReadInput) {
    const started = performance.now();
    const { ctx, period } = await this.begin(org, input);
    const read = await this.aggregate(ctx, period, 'total', input.filters, (rows) =>
      totalByCategory(rows, period, ctx),
    );
    const { parts, total } = read.value;
    return served(ctx, read, {
      success: true as const,
      subscription: totalPartFields(parts.subscription),
      cloud: totalPartFields(parts.cloud),
      genai: totalPartFields(parts.genai),
      other: totalPartFields(parts.other),
      total: totalFields(total),
      date_range: dateRange(period),
      cache_hit: read.cacheHit,
      query_time_ms: elapsed(started),
      currency: ctx.currency,
    });
  }

  /**
   * C11: the counters of each level on this instance, the org's own (`org`), or the whole
   * instance's (an operator's view: other orgs' activity is not an org's business).
   */
  cacheStats(org?: string): {
    success: true;
    scope: 'organization' | 'instance';
    responses: LevelStats;
  } & CostCacheStats {
    return {
      success: true,
      scope: org === undefined ? 'instance' : 'organization',
      ...this.cache.stats(org),
      responses: this.responses.stats(org),
    };
  }

  /** C12: drops every cached entry of the org, on every instance. */
  async invalidate(org: string) {
    // Counted before the cache's drop, which also drops them (CostResponseCache listens to it),
    // as it drops the org's cost settings (CostContextService).
    const responses = this.responses.dropOrg(org);
    const dropped = await this.cache.invalidateOrg(org);
    const entries = dropped.frames + dropped.results + responses;
    return {
      success: true as const,
      message: `Invalidated ${entries} cache entries for ${org}`,
      invalidated: { frames: dropped.frames, results: dropped.results, responses, total: entries },
    };
  }

  /**
   * An aggregation of the period's rows matching `filters` (`suffix` tells variants apart beyond
   * the filters), through the result cache, on the narrowest frame the filters allow.
   */
  private aggregate<T>(
    ctx: OrgCostContext,
    period: ResolvedPeriod,
    kind: string,
    filters: CostFilters,
    compute: (rows: pl.DataFrame) => T,
    suffix?: string,
  ) {
    const key = costFiltersKey(filters);
    const variant = suffix === undefined ? key : `${key}|${suffix}`;
    return this.reader.read(ctx, period, aggregateColumnsFor(filters), kind, variant, (df) =>
      compute(applyCostFilters(df, filters)),
    );
  }

  private async begin(
    org: string,
    input: CostReadInput,
  ): Promise<{ ctx: OrgCostContext; period: ResolvedPeriod }> {
    const ctx = await this.contexts.context(org);
    return { ctx, period: resolving(() => resolveCostPeriod(input, ctx)) };
  }

  private envelope(
    ctx: OrgCostContext,
    started: number,
    cacheHit: boolean,
    data: unknown,
    summary: unknown,
    pagination: Envelope['pagination'] = null,
  ): Envelope {
    return {
      success: true,
      data,
      summary,
      pagination,
      cache_hit: cacheHit,
      query_time_ms: elapsed(started),
      error: null,
      currency: ctx.currency,
    };
  }
}

/**
 * A response made of one cached result and the org's settings only, which the response cache may
 * keep (see CostResponseCache).
 */
function served<T extends object>(ctx: OrgCostContext, read: Read<unknown>, body: T): T {
  return withSource(body, { ctx, key: read.key, value: read.value });
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
