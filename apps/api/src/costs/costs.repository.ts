import { Inject, Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import {
  addDays,
  C,
  type CategoryInputs,
  COST_FRAME_CATEGORICAL,
  type CostFrameColumns,
  emptyRawCostFrame,
  type IsoDate,
  isGroupedSet,
  LISTING_KEYS,
  type ResolvedCostFilters,
} from '#analytics';
import { AppConfig } from '#platform';
import {
  central,
  param,
  tableRef,
  WAREHOUSE,
  type QueryParams,
  type Warehouse,
  WarehouseError,
  WarehouseErrorCode,
} from '#warehouse';
import {
  COLUMN_SQL,
  COST_OUT_OF_RANGE_SQL,
  EXACT_COSTS,
  frameSelect,
  isRestColumn,
} from './cost-frame-sql.js';
import { CostRowOutOfRangeError } from './cost-row-out-of-range.error.js';
import { PeriodTooLargeError } from './period-too-large.error.js';

export const COST_TABLE = 'cost_data_standard_1_3';

/** The org settings cost reads depend on. */
export type CostProfileRow = {
  default_currency: string | null;
  default_timezone: string | null;
  fiscal_year_start_month: number | null;
};

/**
 * A listing key in the warehouse (see LISTING_KEYS): a day as its UTC day, a billing period bound
 * to the millisecond (a frame holds Datetime(ms): rows apart by microseconds look alike there and
 * are ordered by the keys after), a cost by its exact value (the order of its micro-units, then of
 * what they left out), nothing for the rests.
 */
function orderKey(name: string): string | null {
  if (name === C.date) return 'TIMESTAMP_TRUNC(ChargePeriodStart, DAY) DESC NULLS FIRST';
  if (name === C.endDate) return 'TIMESTAMP_TRUNC(ChargePeriodEnd, DAY) NULLS FIRST';
  if (name === C.billingPeriodStart || name === C.billingPeriodEnd)
    return `TIMESTAMP_TRUNC(${COLUMN_SQL[name]!}, MILLISECOND) NULLS FIRST`;
  if (isRestColumn(name)) return null;
  return `${EXACT_COSTS[name] ?? COLUMN_SQL[name]!} NULLS FIRST`;
}

const LISTING_ORDER_SQL = LISTING_KEYS.map(orderKey)
  .filter((key): key is string => key !== null)
  .join(', ');

/** The listing's filters as a WHERE condition (TRUE when none), with the parameters it names. */
function listingWhere(
  filters: ResolvedCostFilters,
  categoryTriples: readonly CategoryInputs[] | null,
): { where: string; params: QueryParams } {
  const conditions: string[] = [];
  const params: QueryParams = {};
  const oneOf = (column: string, name: string, values: readonly string[]) => {
    params[name] = param.stringArray([...values]);
    return `${column} IN UNNEST(@${name})`;
  };
  if (filters.providers) conditions.push(oneOf(COLUMN_SQL[C.provider]!, 'providers', filters.providers));
  if (filters.serviceCategories)
    conditions.push(oneOf(COLUMN_SQL[C.serviceCategory]!, 'service_categories', filters.serviceCategories));
  filters.entities.forEach(({ id, paths }, i) => {
    params[`entity_${i}`] = param.string(id);
    conditions.push(
      `(${COLUMN_SQL[C.entityId]!} = @entity_${i} OR ${oneOf(COLUMN_SQL[C.path]!, `through_${i}`, paths)})`,
    );
  });
  if (filters.paths) conditions.push(oneOf(COLUMN_SQL[C.path]!, 'paths', filters.paths));
  if (categoryTriples) {
    const is = (column: string, name: string, value: string | null) => {
      if (value === null) return `${column} IS NULL`;
      params[name] = param.string(value);
      return `${column} = @${name}`;
    };
    const triples = categoryTriples.map(
      (t, i) =>
        `(${is(COLUMN_SQL[C.provider]!, `cp_${i}`, t.provider)} AND ${is(COLUMN_SQL[C.serviceCategory]!, `cs_${i}`, t.serviceCategory)}` +
        ` AND ${is(COLUMN_SQL[C.source]!, `cx_${i}`, t.sourceSystem)})`,
    );
    conditions.push(triples.length ? `(${triples.join(' OR ')})` : 'FALSE');
  }
  return { where: conditions.length ? conditions.join(' AND ') : 'TRUE', params };
}

/** The half-open timestamp range of the days start..end, on the partition column (BigQuery prunes by it). */
const periodParams = (start: IsoDate, end: IsoDate) => ({
  from_ts: param.timestamp(`${start}T00:00:00Z`),
  to_ts: param.timestamp(`${addDays(end, 1)}T00:00:00Z`),
});

/** The only SQL of cost reads: the org's FOCUS rows of a period, and its profile. */
@Injectable()
export class CostsRepository {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly config: AppConfig,
  ) {}

  /**
   * One query of the `columns` set, loaded columnar. The filter is on the partition column itself
   * (a half-open timestamp range), so BigQuery prunes to the period's partitions. An org without
   * a cost table yet has no costs, not an error.
   */
  async loadFrame(
    org: string,
    start: IsoDate,
    end: IsoDate,
    columns: CostFrameColumns = 'rows',
  ): Promise<pl.DataFrame> {
    const table = tableRef(this.config.orgDataset(org), COST_TABLE);
    const { COST_FRAME_MAX_ROWS, COST_LISTING_FRAME_MAX_ROWS } = this.config.env;
    const maxRows = isGroupedSet(columns)
      ? COST_FRAME_MAX_ROWS
      : Math.min(COST_FRAME_MAX_ROWS, COST_LISTING_FRAME_MAX_ROWS);
    try {
      const { select, groupBy } = frameSelect(columns, this.warehouse.driver);
      return await this.warehouse.queryFrame(
        `SELECT ${select}
         FROM ${table}
         WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts
         ${groupBy}`,
        periodParams(start, end),
        {
          categorical: COST_FRAME_CATEGORICAL,
          maxRows,
          aggregates: groupBy !== '',
        },
      );
    } catch (error) {
      if (error instanceof WarehouseError && error.code === WarehouseErrorCode.NotFound)
        return emptyRawCostFrame(columns);
      if (error instanceof WarehouseError && error.code === WarehouseErrorCode.ResultTooLarge)
        throw new PeriodTooLargeError(start, end, maxRows, isGroupedSet(columns));
      return this.refusedForOutOfRangeCosts(table, start, end, error);
    }
  }

  /**
   * One page of the FOCUS rows of the days start..end matching `filters` (and, with a category,
   * whose (provider, service category, source) is one of `categoryTriples`), in listing order: for
   * a period too large to load as a frame of rows, whose page spans these days (listingWindow), so
   * the warehouse reads their partitions alone and sorts only to the page's end (DuckDB and
   * BigQuery keep the top rows of an ORDER BY … LIMIT). The page comes as a raw frame of every row
   * column, in no particular order (a driver may read it in parallel streams).
   */
  async listRows(
    org: string,
    start: IsoDate,
    end: IsoDate,
    filters: ResolvedCostFilters,
    categoryTriples: readonly CategoryInputs[] | null,
    page: { offset: number; limit: number },
  ): Promise<pl.DataFrame> {
    const table = tableRef(this.config.orgDataset(org), COST_TABLE);
    const { select } = frameSelect('rows', this.warehouse.driver);
    const { where, params } = listingWhere(filters, categoryTriples);
    try {
      return await this.warehouse.queryFrame(
        `SELECT ${select}
         FROM ${table}
         WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts AND ${where}
         ORDER BY ${LISTING_ORDER_SQL}
         LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}`,
        { ...params, ...periodParams(start, end) },
        { aggregates: true },
      );
    } catch (error) {
      if (error instanceof WarehouseError && error.code === WarehouseErrorCode.NotFound)
        return emptyRawCostFrame('rows');
      return this.refusedForOutOfRangeCosts(table, start, end, error);
    }
  }

  /**
   * After a failed read of the days start..end: CostRowOutOfRangeError if they hold costs no read
   * can round (COST_OUT_OF_RANGE_SQL), counted by one more query, else the failure as it was (also
   * when that count fails). Costs in range never fail a read, so a read that succeeds asks nothing.
   */
  private async refusedForOutOfRangeCosts(
    table: string,
    start: IsoDate,
    end: IsoDate,
    error: unknown,
  ): Promise<never> {
    if (!(error instanceof WarehouseError && error.code === WarehouseErrorCode.QueryFailed)) throw error;
    const counted = await this.warehouse
      .query<{ out_of_range: number }>(
        `SELECT COUNT(*) AS out_of_range
         FROM ${table}
         WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts AND (${COST_OUT_OF_RANGE_SQL})`,
        periodParams(start, end),
      )
      .catch(() => []);
    const rows = Number(counted[0]?.out_of_range ?? 0);
    if (rows > 0) throw new CostRowOutOfRangeError(start, end, rows);
    throw error;
  }

  async profile(org: string): Promise<CostProfileRow | null> {
    const rows = await this.warehouse.query<CostProfileRow>(
      `SELECT default_currency, default_timezone, fiscal_year_start_month
       FROM ${central('org_profiles')} WHERE org_slug = @org LIMIT 1`,
      { org },
    );
    return rows[0] ?? null;
  }
}
