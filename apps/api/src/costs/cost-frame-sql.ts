import { C, type CostFrameColumns, isGroupedSet, rawCostColumns, SUMMED_KINDS } from '#analytics';
import type { Warehouse } from '#warehouse';

type Driver = Warehouse['driver'];

/** How a cost becomes INT64 micro-units (`micros`) and what that left out, in nano-units (`rest`). */
interface CostRounding {
  micros: (column: string) => string;
  rest: (column: string) => string;
}

const scaled = (value: string) => `${value} * 1000000 - ROUND(${value} * 1000000)`;

/**
 * A cost as INT64 micro-units, rounded half away from zero once, here in the warehouse where
 * NUMERIC is exact (the cast to INT64 rounds half away from zero in BigQuery and DuckDB alike), and
 * what that left out, in nano-units (−500..500), exactly: the scaled cost minus its rounded value.
 * The frame sums the rest beside the micro-units (moneySum), so a sum keeps every decimal of a
 * NUMERIC without the range of a 64-bit sum of nano-units (9 billion currency units: a VND or IDR
 * org's year).
 */
const EXACT_ROUNDING: CostRounding = {
  micros: (column) => `CAST(ROUND(${column} * 1000000) AS INT64)`,
  rest: (column) => `CAST((${scaled(column)}) * 1000 AS INT64)`,
};

/**
 * The costs (in absolute value) that take DuckDB's 64-bit path: scaled ×1e6 and rounded they stay
 * within NUMERIC(18, 9)'s nine integer digits (below 1,000, a cost from 999.9999995 rounds to 1e9,
 * one digit too many: DuckDB failed the whole read).
 */
const SMALL_COST = 999;

/**
 * DuckDB: a cost under SMALL_COST takes DECIMAL(18, 9) (EMBEDDED_DECIMAL_18_9, a function of the
 * embedded warehouse alone), whose arithmetic is 64-bit (DuckDB computes NUMERIC(38, 9) on 128-bit
 * integers, 25 times slower at a million rows); larger costs take the exact 38-digit path. The
 * same values as EXACT_ROUNDING.
 */
const BOUNDED_ROUNDING: CostRounding = {
  micros: (column) => `CASE WHEN ABS(${column}) < ${SMALL_COST}
    THEN CAST(EMBEDDED_DECIMAL_18_9(${column}) * 1000000 AS INT64)
    ELSE ${EXACT_ROUNDING.micros(column)} END`,
  rest: (column) => `CASE WHEN ABS(${column}) < ${SMALL_COST}
    THEN CAST((${scaled(`EMBEDDED_DECIMAL_18_9(${column})`)}) * 1000 AS INT64)
    ELSE ${EXACT_ROUNDING.rest(column)} END`,
};

/**
 * BigQuery takes the exact path for every cost: its NUMERIC arithmetic is the same at any size,
 * and it refuses CAST(x AS NUMERIC(18, 9)) ("Parameterized types are not allowed in CAST
 * expressions": a parameterized type is only for columns and script variables).
 */
const COST_ROUNDING: Readonly<Record<Driver, CostRounding>> = {
  bigquery: EXACT_ROUNDING,
  duckdb: BOUNDED_ROUNDING,
};

/** The FOCUS column each micro-unit column is rounded from, as its exact NUMERIC. */
export const EXACT_COSTS: Readonly<Record<string, string>> = {
  [C.billed]: 'BilledCost',
  [C.effective]: 'EffectiveCost',
  [C.list]: 'ListCost',
};

/**
 * A row of a cost whose micro-units, rounded half away from zero, INT64 cannot hold: 2^63 − 0.5
 * micro-units or more, or −2^63 − 0.5 or less (EXACT_ROUNDING's cast fails on it, failing the
 * whole read). An import refuses a cost of a trillion or more; a row written otherwise is found by
 * this condition after a failed read, which is refused for it (CostRowOutOfRangeError).
 */
export const COST_OUT_OF_RANGE_SQL = Object.values(EXACT_COSTS)
  .map((cost) => `${cost} >= NUMERIC '9223372036854.7758075' OR ${cost} <= NUMERIC '-9223372036854.7758085'`)
  .join(' OR ');

/** The cost column whose rounding each rest column holds what was left out of. */
const MICROS_OF_REST: Readonly<Record<string, string>> = {
  [C.billedRest]: C.billed,
  [C.effectiveRest]: C.effective,
  [C.listRest]: C.list,
};

/** The rest columns: no listing order of their own (their cost's exact value orders the rows). */
export const isRestColumn = (name: string): boolean => MICROS_OF_REST[name] !== undefined;

/**
 * The SQL expression of each raw frame column but the costs (see RAW_COST_COLUMNS). The charge
 * days come as the period timestamps themselves: the frame takes their UTC date (cheaper than
 * DATE() and text in the warehouse).
 */
export const COLUMN_SQL: Readonly<Record<string, string>> = {
  [C.subAccountId]: 'SubAccountId',
  [C.provider]: 'ServiceProviderName',
  [C.serviceCategory]: 'ServiceCategory',
  [C.serviceName]: 'ServiceName',
  [C.resourceName]: 'ResourceName',
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

/** Every raw frame column's SQL on `driver`: COLUMN_SQL and the costs as it rounds them. */
function columnSqlOf(driver: Driver): Readonly<Record<string, string>> {
  const { micros, rest } = COST_ROUNDING[driver];
  const costs = Object.entries(EXACT_COSTS).map(([name, exact]) => [name, micros(exact)]);
  const rests = Object.entries(MICROS_OF_REST).map(([name, of]) => [name, rest(EXACT_COSTS[of]!)]);
  return { ...COLUMN_SQL, ...Object.fromEntries([...costs, ...rests]) };
}

const COLUMN_SQL_OF: Readonly<Record<Driver, Readonly<Record<string, string>>>> = {
  bigquery: columnSqlOf('bigquery'),
  duckdb: columnSqlOf('duckdb'),
};

const as = (expression: string, name: string) => (expression === name ? name : `${expression} AS ${name}`);

/**
 * A group's micro-units summed exactly. A day of one service may pass INT64's 9.2e18 micro-units
 * (9.2 trillion currency units; the import caps a row at 1e12, so ten rows can), which BigQuery's
 * SUM of INT64 refuses as an overflow: it sums them as NUMERIC. DuckDB's SUM of a BIGINT is a
 * HUGEINT already, and its DECIMAL sum made a cold read of a million rows ~15% slower.
 */
const EXACT_MICRO_SUMS: Readonly<Record<Driver, (sql: string) => string>> = {
  bigquery: (sql) => `SUM(CAST(${sql} AS NUMERIC))`,
  duckdb: (sql) => `SUM(${sql})`,
};

/**
 * The largest sum whose FLOAT64 still casts to INT64: 2^63 − 513 micro-units (a FLOAT64 there is
 * a multiple of 1,024; 2^63 − 512 and up round to 2^63, which INT64 cannot hold). Compared with the
 * exact sum, so that every group within INT64's range but the last 512 micro-units keeps its
 * rounding (a bound of 9e18 dropped it from 9e18 to 2^63: up to 512 micro-units, a cent off once a
 * credit of another service that day cancels the rest, 0.0049 read as 0.00512).
 */
const MAX_CASTABLE_GROUP_MICROS = '9223372036854775295';

/**
 * The query of a frame of `columns` on `driver`: every FOCUS row of the period, or for a grouped
 * set (see isGroupedSet) the rows summed by every other column of the set, by UTC day, with how
 * many rows each group holds:
 * - a group's micro-units as FLOAT64: a sum may pass 2^63 micro-units (9.2 trillion currency units
 *   in a day of one service; ten rows under the import's cap), which no driver can hand over as an
 *   INT64; the frame reads the FLOAT64, integral, as Int64 (as Float64 past Int64's range, see
 *   prepareCostFrame);
 * - its rests summed, plus what the FLOAT64 rounded off its micro-units (nothing below 2^53), in
 *   nano-units, so the frame's sum of both stays exact. Past INT64's range the rounding is left
 *   out (under 2^11 micro-units of a sum past 2^63, a fraction of a cent in 9 trillion): a FLOAT64
 *   that large comes back to an exact type only through floating point;
 * - the quantities as FLOAT64.
 */
export function frameSelect(columns: CostFrameColumns, driver: Driver): { select: string; groupBy: string } {
  const sql = COLUMN_SQL_OF[driver];
  const sum = (name: string) => EXACT_MICRO_SUMS[driver](sql[name]!);
  const raw = rawCostColumns(columns);
  if (!isGroupedSet(columns))
    return { select: raw.map(([name]) => as(sql[name]!, name)).join(', '), groupBy: '' };
  const keys: string[] = [];
  const select = raw.map(([name, kind]) => {
    if (kind === 'count') return `COUNT(*) AS ${name}`;
    if (!SUMMED_KINDS.has(kind)) {
      // The day a cost belongs to (its UTC date, as the frame reads it from the timestamp).
      const key = name === C.date ? `TIMESTAMP_TRUNC(${sql[name]!}, DAY)` : sql[name]!;
      keys.push(key);
      return as(key, name);
    }
    if (kind === 'micros') return `CAST(${sum(name)} AS FLOAT64) AS ${name}`;
    if (kind === 'nano_rest') {
      const micros = sum(MICROS_OF_REST[name]!);
      const roundedOff = `CAST(${micros} AS INT64) - CAST(CAST(${micros} AS FLOAT64) AS INT64)`;
      return `CAST(SUM(${sql[name]!}) + CASE WHEN ABS(${micros}) <= ${MAX_CASTABLE_GROUP_MICROS} THEN (${roundedOff}) * 1000 ELSE 0 END AS INT64) AS ${name}`;
    }
    return `SUM(${sql[name]!}) AS ${name}`;
  });
  return { select: select.join(', '), groupBy: `GROUP BY ${keys.join(', ')}` };
}
