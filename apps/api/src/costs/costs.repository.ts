import { Inject, Injectable } from '@nestjs/common';
import type pl from 'nodejs-polars';
import {
  addDays,
  C,
  COST_FRAME_CATEGORICAL,
  type CostFrameColumns,
  emptyRawCostFrame,
  type IsoDate,
  rawCostColumns,
} from '#analytics';
import { AppConfig } from '#platform';
import {
  central,
  param,
  tableRef,
  WAREHOUSE,
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
 * A cost as INT64 micro-units, rounded half away from zero once, here in the warehouse where
 * NUMERIC is exact. A cost under 1,000 takes NUMERIC(18, 9), whose arithmetic is 64-bit (DuckDB
 * computes NUMERIC(38, 9) on 128-bit integers, 25 times slower at a million rows); the cast to
 * INT64 rounds half away from zero in BigQuery and DuckDB alike. Larger costs, where ×1e6 would
 * overflow NUMERIC(18, 9), take the exact 38-digit path.
 */
const micros = (column: string) => `CASE WHEN ABS(${column}) < 1000
    THEN CAST(CAST(${column} AS NUMERIC(18, 9)) * 1000000 AS INT64)
    ELSE CAST(ROUND(${column} * 1000000) AS INT64) END`;

/**
 * What `micros` left out, in nano-units (−500..500), exactly: the scaled cost minus its rounded
 * value, in NUMERIC arithmetic on both paths (the 64-bit one under 1,000). The frame sums it
 * beside the micro-units (moneySum), so a sum keeps every decimal of a NUMERIC without the range
 * of a 64-bit sum of nano-units (9 billion currency units: a VND or IDR org's year).
 */
const nanoRest = (column: string) => {
  const scaled = (value: string) => `${value} * 1000000 - ROUND(${value} * 1000000)`;
  return `CASE WHEN ABS(${column}) < 1000
    THEN CAST((${scaled(`CAST(${column} AS NUMERIC(18, 9))`)}) * 1000 AS INT64)
    ELSE CAST((${scaled(column)}) * 1000 AS INT64) END`;
};

/**
 * The SELECT expression of each raw frame column (see RAW_COST_COLUMNS). The charge days come as
 * the period timestamps themselves: the frame takes their UTC date (cheaper than DATE() and text
 * in the warehouse).
 */
const COLUMN_SQL: Readonly<Record<string, string>> = {
  [C.subAccountId]: 'SubAccountId',
  [C.provider]: 'ServiceProviderName',
  [C.serviceCategory]: 'ServiceCategory',
  [C.serviceName]: 'ServiceName',
  [C.resourceName]: 'ResourceName',
  [C.billed]: `${micros('BilledCost')} AS ${C.billed}`,
  [C.effective]: `${micros('EffectiveCost')} AS ${C.effective}`,
  [C.list]: `${micros('ListCost')} AS ${C.list}`,
  [C.billedRest]: `${nanoRest('BilledCost')} AS ${C.billedRest}`,
  [C.effectiveRest]: `${nanoRest('EffectiveCost')} AS ${C.effectiveRest}`,
  [C.listRest]: `${nanoRest('ListCost')} AS ${C.listRest}`,
  [C.currency]: 'BillingCurrency',
  [C.quantity]: `CAST(ConsumedQuantity AS FLOAT64) AS ${C.quantity}`,
  [C.unit]: 'ConsumedUnit',
  [C.chargeCategory]: 'ChargeCategory',
  [C.chargeClass]: 'ChargeClass',
  [C.region]: 'RegionName',
  [C.billingPeriodStart]: 'BillingPeriodStart',
  [C.billingPeriodEnd]: 'BillingPeriodEnd',
  [C.date]: `ChargePeriodStart AS ${C.date}`,
  [C.endDate]: `ChargePeriodEnd AS ${C.endDate}`,
  [C.source]: 'x_source_system',
  [C.entityId]: 'x_hierarchy_entity_id',
  [C.entityName]: 'x_hierarchy_entity_name',
  [C.levelCode]: 'x_hierarchy_level_code',
  [C.path]: 'x_hierarchy_path',
  [C.pathNames]: 'x_hierarchy_path_names',
};

/** The select list of a frame of `columns`, nothing more. */
const selectList = (columns: CostFrameColumns) =>
  rawCostColumns(columns)
    .map(([name]) => COLUMN_SQL[name]!)
    .join(', ');

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
    try {
      return await this.warehouse.queryFrame(
        `SELECT ${selectList(columns)}
         FROM ${table}
         WHERE ChargePeriodStart >= @from_ts AND ChargePeriodStart < @to_ts`,
        {
          from_ts: param.timestamp(`${start}T00:00:00Z`),
          to_ts: param.timestamp(`${addDays(end, 1)}T00:00:00Z`),
        },
        { categorical: COST_FRAME_CATEGORICAL, maxRows: this.config.env.COST_FRAME_MAX_ROWS },
      );
    } catch (error) {
      if (error instanceof WarehouseError && error.code === WarehouseErrorCode.NotFound)
        return emptyRawCostFrame(columns);
      if (error instanceof WarehouseError && error.code === WarehouseErrorCode.ResultTooLarge)
        throw new PeriodTooLargeError(start, end, this.config.env.COST_FRAME_MAX_ROWS);
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
