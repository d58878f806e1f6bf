import { Injectable } from '@nestjs/common';
import {
  aggregateColumnsFor,
  applyCostFilters,
  applyResolvedFilters,
  CostCache,
  type CostFilters,
  costFiltersKey,
  costRows,
  type CostRowsPage,
  costRowsPage,
  listingWindow,
  categoryTriples,
  prepareCostFrame,
  recordCount,
  type ResolvedPeriod,
  resolveCostFilters,
} from '#analytics';
import type { OrgCostContext } from './cost-context.service.js';
import { CostReader, type Read } from './cost-reader.service.js';
import { costReadError } from './cost-row-out-of-range.error.js';
import { CostsRepository } from './costs.repository.js';

/** A page of a listing: `limit` rows from `offset`. */
export interface ListingPage {
  offset: number;
  limit: number;
}

/**
 * The row listings (C1, C7–C9): one page of a period's FOCUS rows, newest first, and how many
 * match. While the period's rows may be loaded (COST_LISTING_FRAME_MAX_ROWS) they are paged from its
 * cached frame of rows, so paging on costs no warehouse query; past that bound the warehouse
 * sorts and pages them, and the period's grouped frame (the one aggregations read, a few rows per
 * day) counts them and resolves the filters to the values the warehouse selects by. Both give the
 * same pages: one order (LISTING_KEYS), the same filters.
 */
@Injectable()
export class CostListing {
  constructor(
    private readonly cache: CostCache,
    private readonly reader: CostReader,
    private readonly repository: CostsRepository,
  ) {}

  async page(
    ctx: OrgCostContext,
    period: ResolvedPeriod,
    filters: CostFilters,
    page: ListingPage,
  ): Promise<Read<CostRowsPage>> {
    const variant = `${costFiltersKey(filters)}|${page.offset}|${page.limit}`;
    const key = { kind: 'rows', start: period.start, end: period.end, variant };
    const cached = this.cache.getResult<CostRowsPage>(ctx.org, key);
    if (cached !== undefined) return { value: cached, cacheHit: true, key };
    const rows = await this.reader.rowsFrame(ctx, period);
    if (rows.frame) {
      const value = await costRowsPage(applyCostFilters(rows.frame.df, filters), page.offset, page.limit);
      this.cache.setResult(ctx.org, key, value, rows.frame, ctx);
      return { value, cacheHit: rows.hit, key };
    }
    // A refusal of the grouped frame too (more groups than the bound) answers 422 as usual.
    const { frame, hit } = await this.reader.frame(ctx, period, aggregateColumnsFor(filters));
    const resolved = resolveCostFilters(frame.df, filters);
    const matching = applyResolvedFilters(frame.df, resolved);
    const total = recordCount(matching);
    // Only the days the page spans are read (their partitions, on BigQuery) and sorted.
    const window = listingWindow(matching, page.offset, page.limit);
    let listed: CostRowsPage['rows'] = [];
    if (window) {
      const triples = filters.category ? categoryTriples(frame.df, filters.category) : null;
      const raw = await this.repository
        .listRows(ctx.org, window.oldest, window.newest, resolved, triples, {
          offset: window.offset,
          limit: page.limit,
        })
        .catch((error: unknown) => {
          throw costReadError(error);
        });
      listed = await costRows(await prepareCostFrame(raw, 'rows'));
    }
    const value = { rows: listed, total };
    this.cache.setResult(ctx.org, key, value, frame, ctx);
    // A page past the last row asks the warehouse nothing, but for the period's rows counted above.
    return { value, cacheHit: rows.hit && hit && window === null, key };
  }
}
