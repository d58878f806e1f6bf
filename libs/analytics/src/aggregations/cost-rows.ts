import pl from 'nodejs-polars';
import type { IsoDate } from '../calendar/iso-date.js';
import { C, RAW_COST_COLUMNS, rowMicros, rowNanos, rowRest, rowsCounted } from '../frame/cost-frame.js';
import { filterDates } from '../frame/cost-filters.js';
import { nanosMinus, nanosToUnits } from '../money.js';
import { recordsOf } from './frame-records.js';

/** A FOCUS row as the API lists it (the reference's field names and order). */
export interface CostRow {
  SubAccountId: string | null;
  ServiceProviderName: string | null;
  ServiceCategory: string | null;
  ServiceName: string | null;
  ResourceName: string | null;
  BilledCost: number;
  EffectiveCost: number;
  Savings: number;
  ListCost: number;
  BillingCurrency: string | null;
  ConsumedQuantity: number | null;
  ConsumedUnit: string | null;
  ChargeCategory: string | null;
  ChargeClass: string | null;
  RegionName: string | null;
  BillingPeriodStart: Date | null;
  BillingPeriodEnd: Date | null;
  ChargePeriodStart: string;
  ChargePeriodEnd: string | null;
  x_source_system: string | null;
  x_hierarchy_entity_id: string | null;
  x_hierarchy_entity_name: string | null;
  x_hierarchy_level_code: string | null;
  x_hierarchy_path: string | null;
  x_hierarchy_path_names: string | null;
}

const text = (name: string, alias = name) => pl.col(name).cast(pl.Utf8).alias(alias);

/** A listed row's columns; its costs as rowMicros gives them, made numbers by listRows. */
const rowColumns: pl.Expr[] = [
  text(C.subAccountId),
  text(C.provider),
  text(C.serviceCategory),
  text(C.serviceName),
  text(C.resourceName),
  rowMicros(C.billed).alias('BilledCost'),
  rowMicros(C.effective).alias('EffectiveCost'),
  pl.lit(null).alias('Savings'),
  rowMicros(C.list).alias('ListCost'),
  text(C.currency),
  pl.col(C.quantity),
  text(C.unit),
  text(C.chargeCategory),
  text(C.chargeClass),
  text(C.region),
  pl.col(C.billingPeriodStart),
  pl.col(C.billingPeriodEnd),
  pl.col(C.date).dt.strftime('%Y-%m-%d').alias('ChargePeriodStart'),
  pl.col(C.endDate).dt.strftime('%Y-%m-%d').alias('ChargePeriodEnd'),
  text(C.source),
  text(C.entityId),
  text(C.entityName),
  text(C.levelCode),
  text(C.path),
  text(C.pathNames),
];

/**
 * A column as a sort key: text by its value (a dictionary-encoded column would sort by the order its
 * values were first met in, which differs from one load to the next).
 */
const sortable = (name: string) =>
  RAW_COST_COLUMNS[name] === 'text' ? pl.col(name).cast(pl.Utf8) : pl.col(name);

/**
 * The listing order's keys, in order: the charge day, newest first, then provider, service,
 * sub-account, resource and region by name, then every other column a listed row shows, so that
 * only rows that look the same can tie; every key but the first ascending, nulls first (Polars'
 * default, and what CostsRepository.listRows asks of the warehouse).
 */
export const LISTING_KEYS: readonly string[] = [
  C.date,
  C.provider,
  C.serviceName,
  C.subAccountId,
  C.resourceName,
  C.region,
  C.chargeCategory,
  C.chargeClass,
  C.serviceCategory,
  C.billed,
  C.billedRest,
  C.effective,
  C.effectiveRest,
  C.list,
  C.listRest,
  C.quantity,
  C.unit,
  C.currency,
  C.endDate,
  C.billingPeriodStart,
  C.billingPeriodEnd,
  C.source,
  C.entityId,
  C.entityName,
  C.levelCode,
  C.path,
  C.pathNames,
];

/**
 * Row positions in listing order (LISTING_KEYS). The frame is loaded again (a minute after a
 * period including today, or on another instance) in whatever order the warehouse returns, and
 * pages must still never overlap or skip a row: rows that look the same are interchangeable. Only
 * the keys are sorted; the listed rows are gathered afterwards.
 */
function listingOrder(df: pl.DataFrame): number[] {
  // A frame without sub-micro digits carries no rest columns (prepareCostFrame).
  const keys = LISTING_KEYS.filter((name) => df.columns.includes(name)).map((name) => sortable(name));
  const order = df.withRowIndex('__row').select(
    pl.col('__row').sortBy(
      keys,
      keys.map((_, i) => i === 0),
    ),
  );
  return order.getColumn('__row').toArray() as number[];
}

/**
 * The rows at `positions`, as the API lists them, each cost the number nearest its 9 decimals and
 * the savings the difference of the exact costs (nanosToUnits: correctly rounded, where Polars
 * divides a column by a scalar as a multiplication by its reciprocal, 10005000 × 1e-6 =
 * 10.004999999999999, and an Int64 past 2^53 reaches JavaScript rounded).
 */
async function listRows(df: pl.DataFrame, positions: number[]): Promise<CostRow[]> {
  if (!positions.length) return [];
  // A gather by a JS array: nodejs-polars 0.24 crashes gathering by a UInt32 Series.
  const picked = df.select(pl.all().gather(positions));
  const rows = await recordsOf<ListedRow>(picked.select(...rowColumns));
  const rests = picked.select(
    rowRest(picked, C.billed),
    rowRest(picked, C.effective),
    rowRest(picked, C.list),
  );
  const [billedRests, effectiveRests, listRests] = rests.getColumns().map((s) => s.toArray() as number[]);
  return rows.map((listed, i) => {
    const billed = rowNanos(listed.BilledCost, billedRests![i]!);
    const effective = rowNanos(listed.EffectiveCost, effectiveRests![i]!);
    const list = rowNanos(listed.ListCost, listRests![i]!);
    // The same object, its costs now numbers (a copy per row would only cost time).
    const row = listed as unknown as CostRow;
    row.BilledCost = nanosToUnits(billed);
    row.EffectiveCost = nanosToUnits(effective);
    row.Savings = nanosToUnits(nanosMinus(billed, effective));
    row.ListCost = nanosToUnits(list);
    return row;
  });
}

/** A listed row as Polars gives it: its costs micro-units as text (see rowMicros), Savings null. */
type ListedRow = Omit<CostRow, MoneyField> & Record<MoneyField, string | null>;
type MoneyField = 'BilledCost' | 'EffectiveCost' | 'Savings' | 'ListCost';

/** Every row, newest day first. */
export function costRows(df: pl.DataFrame): Promise<CostRow[]> {
  return listRows(df, listingOrder(df));
}

export interface CostRowsPage {
  rows: CostRow[];
  total: number;
}

/**
 * The days a page of a listing spans, newest first, and where the page starts among their rows:
 * the first key of the listing order is the day, so a page is `limit` rows from `offset` of these
 * days' rows alone, and only they need sorting (or, paged by the warehouse, reading: a day or two
 * of partitions instead of the whole period).
 */
export interface ListingWindow {
  newest: IsoDate;
  oldest: IsoDate;
  /** The page's first row among the rows of newest..oldest. */
  offset: number;
}

/**
 * The window of the page `offset`, `limit` over the rows `df` stands for (its FOCUS rows, or its
 * grouped rows' row_count), or null when the page starts past the last row.
 */
export function listingWindow(df: pl.DataFrame, offset: number, limit: number): ListingWindow | null {
  const days = df.groupBy(C.date).agg(rowsCounted(df).alias('n')).sort(C.date, true).toRecords();
  // A Date column comes back as JS Dates (UTC midnight), which the record type does not say.
  const dayOf = (record: Record<string, unknown>) => (record[C.date] as Date).toISOString().slice(0, 10);
  let seen = 0;
  let start: { newest: IsoDate; skipped: number } | null = null;
  for (const day of days) {
    const rows = Number(day.n);
    if (start === null && seen + rows > offset) start = { newest: dayOf(day), skipped: seen };
    seen += rows;
    if (start !== null && seen >= offset + limit)
      return { newest: start.newest, oldest: dayOf(day), offset: offset - start.skipped };
  }
  if (start === null) return null;
  return { newest: start.newest, oldest: dayOf(days.at(-1)!), offset: offset - start.skipped };
}

/** One page of rows, newest day first: its window's days alone are sorted. */
export async function costRowsPage(df: pl.DataFrame, offset: number, limit: number): Promise<CostRowsPage> {
  const window = listingWindow(df, offset, limit);
  if (!window) return { rows: [], total: df.height };
  const candidates = filterDates(df, window.oldest, window.newest);
  const positions = listingOrder(candidates).slice(window.offset, window.offset + limit);
  return { rows: await listRows(candidates, positions), total: df.height };
}
