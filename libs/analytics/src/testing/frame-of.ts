import pl from 'nodejs-polars';
import {
  C,
  prepareCostFrameSync,
  RAW_COST_COLUMNS,
  rawCostColumns,
  SUMMED_KINDS,
} from '../frame/cost-frame.js';

type FocusRow = Record<string, unknown>;

const day = (value: unknown): string | null =>
  value instanceof Date
    ? value.toISOString().slice(0, 10)
    : typeof value === 'string'
      ? value.slice(0, 10)
      : null;
const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
/** A cost's nano-units as a NUMERIC's 9 decimals hold it: its decimal text, exactly (BigInt). */
const nanosOf = (value: number): bigint => {
  const [whole, fraction] = Math.abs(value).toFixed(9).split('.') as [string, string];
  const nanos = BigInt(whole) * 1_000_000_000n + BigInt(fraction);
  return value < 0 ? -nanos : nanos;
};
/** Micro-units rounded half away from zero, as the warehouse rounds them (see CostsRepository). */
const microsOf = (nanos: bigint): bigint => {
  const abs = nanos < 0n ? -nanos : nanos;
  const rounded = (abs + 500n) / 1000n;
  return nanos < 0n ? -rounded : rounded;
};
const micros = (value: unknown): number | null =>
  typeof value === 'number' ? Number(microsOf(nanosOf(value))) : null;
/**
 * The nano-units `micros` left out (the value taken to a NUMERIC's 9 decimals), in integers: in
 * floating point a cost past ~9 million units came out as a fraction or past ±500.
 */
const nanoRest = (value: unknown): number | null => {
  if (typeof value !== 'number') return null;
  const nanos = nanosOf(value);
  return Number(nanos - microsOf(nanos) * 1000n);
};

/** What the warehouse query makes of one FOCUS row (specs only: real frames never pass through JS objects). */
function rawValues(row: FocusRow): Record<string, unknown> {
  return {
    [C.subAccountId]: text(row.SubAccountId),
    [C.provider]: text(row.ServiceProviderName),
    [C.serviceCategory]: text(row.ServiceCategory),
    [C.serviceName]: text(row.ServiceName),
    [C.resourceName]: text(row.ResourceName),
    [C.billed]: micros(row.BilledCost),
    [C.effective]: micros(row.EffectiveCost),
    [C.list]: micros(row.ListCost),
    [C.billedRest]: nanoRest(row.BilledCost),
    [C.effectiveRest]: nanoRest(row.EffectiveCost),
    [C.listRest]: nanoRest(row.ListCost),
    [C.currency]: text(row.BillingCurrency),
    [C.quantity]: typeof row.ConsumedQuantity === 'number' ? row.ConsumedQuantity : null,
    [C.unit]: text(row.ConsumedUnit),
    [C.chargeCategory]: text(row.ChargeCategory),
    [C.chargeClass]: text(row.ChargeClass),
    [C.region]: text(row.RegionName),
    [C.billingPeriodStart]: row.BillingPeriodStart ?? null,
    [C.billingPeriodEnd]: row.BillingPeriodEnd ?? null,
    [C.date]: day(row.ChargePeriodStart),
    [C.endDate]: day(row.ChargePeriodEnd),
    [C.source]: text(row.x_source_system),
    [C.entityId]: text(row.x_hierarchy_entity_id),
    [C.entityName]: text(row.x_hierarchy_entity_name),
    [C.levelCode]: text(row.x_hierarchy_level_code),
    [C.path]: text(row.x_hierarchy_path),
    [C.pathNames]: text(row.x_hierarchy_path_names),
  };
}

const DTYPES: Record<string, pl.DataType> = {
  text: pl.Utf8,
  micros: pl.Int64,
  nano_rest: pl.Int16,
  float: pl.Float64,
  date: pl.Utf8,
  timestamp: pl.Datetime('ms', 'UTC'),
};

/** The raw frame the warehouse query gives for these FOCUS rows (every column, one row each). */
function rawFrameOf(rows: readonly FocusRow[]): pl.DataFrame {
  const values = rows.map(rawValues);
  return pl.DataFrame(
    Object.entries(RAW_COST_COLUMNS).map(([name, kind]) =>
      pl.Series(
        name,
        values.map((v) => v[name] as never),
        DTYPES[kind],
      ),
    ),
  );
}

/** A prepared cost frame of FOCUS rows built by `aFocusRow`, for aggregation specs. */
export function costFrameOf(rows: readonly FocusRow[]): pl.DataFrame {
  return prepareCostFrameSync(rawFrameOf(rows));
}

/**
 * A prepared frame of a grouped set of these FOCUS rows, grouped as the warehouse query groups
 * them (CostsRepository): summed by every other column of the set, with each group's row count.
 */
export function groupedCostFrameOf(rows: readonly FocusRow[], columns: 'costs' | 'hierarchy'): pl.DataFrame {
  const raw = rawCostColumns(columns).filter(([, kind]) => kind !== 'count');
  const keys = raw.filter(([, kind]) => !SUMMED_KINDS.has(kind)).map(([name]) => name);
  const sums = raw
    .filter(([, kind]) => SUMMED_KINDS.has(kind))
    .map(([name, kind]) =>
      (kind === 'float' ? pl.col(name).sum() : pl.col(name).cast(pl.Int64).sum()).alias(name),
    );
  return prepareCostFrameSync(
    rawFrameOf(rows)
      .groupBy(keys)
      .agg(...sums, pl.len().cast(pl.Int64).alias(C.rowCount)),
    columns,
  );
}
