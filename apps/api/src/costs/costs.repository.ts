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
  rawCostColumns,
  type ResolvedCostFilters,
  SUMMED_KINDS,
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
import { PeriodTooLargeError } from './period-too-large.error.js';

export const COST_TABLE = 'cost_data_standard_1_3';

/** The org settings cost reads depend on. */
export type CostProfileRow = {
  default_currency: string | null;
  default_timezone: string | null;
  fiscal_year_start_month: number | null;
};

/**
 * The costs (in absolute value) that take the 64-bit path: scaled ×1e6 and rounded they stay
 * within NUMERIC(18, 9)'s nine integer digits (below 1,000, a cost from 999.9999995 rounds to 1e9,
 * one digit too many: DuckDB failed the whole read).
 */
const SMALL_COST = 999;

/**
 * A cost as INT64 micro-units, rounded half away from zero once, here in the warehouse where
 * NUMERIC is exact. A cost under SMALL_COST takes NUMERIC(18, 9), whose arithmetic is 64-bit
 * (DuckDB computes NUMERIC(38, 9) on 128-bit integers, 25 times slower at a million rows); the
 * cast to INT64 rounds half away from zero in BigQuery and DuckDB alike. Larger costs take the
 * exact 38-digit path.
 */
const micros = (column: string) => `CASE WHEN ABS(${column}) < ${SMALL_COST}
    THEN CAST(CAST(${column} AS NUMERIC(18, 9)) * 1000000 AS INT64)
    ELSE CAST(ROUND(${column} * 1000000) AS INT64) END`;

/**
 * What `micros` left out, in nano-units (−500..500), exactly: the scaled cost minus its rounded
 * value, in NUMERIC arithmetic on both paths (the 64-bit one under SMALL_COST). The frame sums it
 * beside the micro-units (moneySum), so a sum keeps every decimal of a NUMERIC without the range
 * of a 64-bit sum of nano-units (9 billion currency units: a VND or IDR org's year).
 */
const nanoRest = (column: string) => {
  const scaled = (value: string) => `${value} * 1000000 - ROUND(${value} * 1000000)`;
  return `CASE WHEN ABS(${column}) < ${SMALL_COST}
    THEN CAST((${scaled(`CAST(${column} AS NUMERIC(18, 9))`)}) * 1000 AS INT64)
    ELSE CAST((${scaled(column)}) * 1000 AS INT64) END`;
};

/** The FOCUS column each micro-unit column is rounded from, as its exact NUMERIC. */
const EXACT_COSTS: Readonly<Record<string, string>> = {
  [C.billed]: 'BilledCost',
  [C.effective]: 'EffectiveCost',
  [C.list]: 'ListCost',
};

/**
 * The SQL expression of each raw frame column (see RAW_COST_COLUMNS). The charge days come as the
 * period timestamps themselves: the frame takes their UTC date (cheaper than DATE() and text in
 * the warehouse).
 */
const COLUMN_SQL: Readonly<Record<string, string>> = {
  [C.subAccountId]: 'SubAccountId',
  [C.provider]: 'ServiceProviderName',
  [C.serviceCategory]: 'ServiceCategory',
  [C.serviceName]: 'ServiceName',
  [C.resourceName]: 'ResourceName',
  [C.billed]: micros(EXACT_COSTS[C.billed]!),
  [C.effective]: micros(EXACT_COSTS[C.effective]!),
  [C.list]: micros(EXACT_COSTS[C.list]!),
  [C.billedRest]: nanoRest(EXACT_COSTS[C.billed]!),
  [C.effectiveRest]: nanoRest(EXACT_COSTS[C.effective]!),
  [C.listRest]: nanoRest(EXACT_COSTS[C.list]!),
  [C.currency]: 'BillingCurrency',
  [C.quantity]: 'CAST(ConsumedQuantity AS FLOAT64)',
  [C.unit]: 'ConsumedUnit',
  [C.chargeCategory]: 'ChargeCategory',
  [C.chargeClass]: 'ChargeClass',
  [C.region]: 'RegionName',
  [C.billingPeriodStart]: 'BillingPeriodStart',
  [C.billingPeriodEnd]: 'BillingPeriodEnd',
  [C.date]: 'ChargePeriodStart',
  [C.endDate]: 'ChargePeriodEnd',
  [C.source]: 'x_source_system',
  [C.entityId]: 'x_hierarchy_entity_id',
  [C.entityName]: 'x_hierarchy_entity_name',
  [C.levelCode]: 'x_hierarchy_level_code',
  [C.path]: 'x_hierarchy_path',
  [C.pathNames]: 'x_hierarchy_path_names',
};

const as = (expression: string, name: string) => (expression === name ? name : `${expression} AS ${name}`);

/** The cost column whose rounding each rest column holds what was left out of. */
const MICROS_OF_REST: Readonly<Record<string, string>> = {
  [C.billedRest]: C.billed,
  [C.effectiveRest]: C.effective,
  [C.listRest]: C.list,
};

/** How a warehouse sums a column of INT64 micro-units into an exact integer (see EXACT_MICRO_SUMS). */
type MicroSum = (name: string) => string;

/**
 * A group's micro-units summed exactly. A day of one service may pass INT64's 9.2e18 micro-units
 * (9.2 trillion currency units; the import caps a row at 1e12, so ten rows can), which BigQuery's
 * SUM of INT64 refuses as an overflow: it sums them as NUMERIC. DuckDB's SUM of a BIGINT is a
 * HUGEINT already, and its DECIMAL sum made a cold read of a million rows ~15% slower.
 */
const EXACT_MICRO_SUMS: Readonly<Record<Warehouse['driver'], MicroSum>> = {
  bigquery: (name) => `SUM(CAST(${COLUMN_SQL[name]!} AS NUMERIC))`,
  duckdb: (name) => `SUM(${COLUMN_SQL[name]!})`,
};

/**
 * A group's micro-units, as FLOAT64: a sum may pass 2^53 micro-units (9 billion currency units in
 * a day of one service: a VND or IDR org's largest spend), which no driver may hand over as an
 * INT64 (the BigQuery one refuses an INT64 a number cannot hold exactly). What the FLOAT64 rounds
 * off (nothing below 2^53) goes to the group's rest, in nano-units (groupRest), so the frame's sum
 * of both stays exact; the frame reads the FLOAT64, integral, as Int64 (as Float64 past Int64's
 * range, see prepareCostFrame).
 */
const groupMicros = (name: string, sum: MicroSum) => `CAST(${sum(name)} AS FLOAT64)`;

/**
 * The largest sum whose FLOAT64 still casts to INT64: 2^63 − 513 micro-units (a FLOAT64 there is
 * a multiple of 1,024; 2^63 − 512 and up round to 2^63, which INT64 cannot hold). Compared with the
 * exact sum, so that every group within INT64's range but the last 512 micro-units keeps its
 * rounding (a bound of 9e18 dropped it from 9e18 to 2^63: up to 512 micro-units, a cent off once a
 * credit of another service that day cancels the rest, 0.0049 read as 0.00512).
 */
const MAX_CASTABLE_GROUP_MICROS = '9223372036854775295';

/**
 * A group's rests summed, and what groupMicros rounded off its micro-units, in nano-units. Past
 * INT64's range the rounding is left out (under 2^11 micro-units of a sum past 2^63, a fraction of
 * a cent in 9 trillion): a FLOAT64 that large comes back to an exact type only through floating
 * point. The frame reads such a group's FLOAT64 (2^63 or more) as Float64 (see prepareCostFrame).
 */
const groupRest = (name: string, sum: MicroSum) => {
  const micros = sum(MICROS_OF_REST[name]!);
  const roundedOff = `CAST(${micros} AS INT64) - CAST(CAST(${micros} AS FLOAT64) AS INT64)`;
  return `CAST(SUM(${COLUMN_SQL[name]!}) + CASE WHEN ABS(${micros}) <= ${MAX_CASTABLE_GROUP_MICROS} THEN (${roundedOff}) * 1000 ELSE 0 END AS INT64)`;
};

/**
 * The query of a frame of `columns`: every FOCUS row of the period, or for a grouped set (see
 * isGroupedSet) the rows summed by every other column of the set, by UTC day: the micro-units
 * (as FLOAT64, see groupMicros) and their rests summed exactly (the frame sums both again),
 * the quantities as FLOAT64, and how many rows each group holds.
 */
function frameSelect(columns: CostFrameColumns, sum: MicroSum): { select: string; groupBy: string } {
  const raw = rawCostColumns(columns);
  if (!isGroupedSet(columns))
    return { select: raw.map(([name]) => as(COLUMN_SQL[name]!, name)).join(', '), groupBy: '' };
  const keys: string[] = [];
  const select = raw.map(([name, kind]) => {
    if (kind === 'count') return `COUNT(*) AS ${name}`;
    if (!SUMMED_KINDS.has(kind)) {
      // The day a cost belongs to (its UTC date, as the frame reads it from the timestamp).
      const key = name === C.date ? `TIMESTAMP_TRUNC(${COLUMN_SQL[name]!}, DAY)` : COLUMN_SQL[name]!;
      keys.push(key);
      return as(key, name);
    }
    if (kind === 'micros') return `${groupMicros(name, sum)} AS ${name}`;
    if (kind === 'nano_rest') return `${groupRest(name, sum)} AS ${name}`;
    return `SUM(${COLUMN_SQL[name]!}) AS ${name}`;
  });
  return { select: select.join(', '), groupBy: `GROUP BY ${keys.join(', ')}` };
}

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
  if (MICROS_OF_REST[name]) return null;
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
      const { select, groupBy } = frameSelect(columns, EXACT_MICRO_SUMS[this.warehouse.driver]);
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
      throw error;
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
    const { select } = frameSelect('rows', EXACT_MICRO_SUMS[this.warehouse.driver]);
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
      throw error;
    }
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
