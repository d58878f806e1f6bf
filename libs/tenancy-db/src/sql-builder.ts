import type { DbRow, DbValue, Filter, SelectOptions } from './tenancy-db.port.js';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

/**
 * The SQL shared by the pg and PGlite drivers: the PostgREST subset of the port, written so that
 * both produce what supabase-js gets from PostgREST for the same call.
 */
export interface SqlQuery {
  text: string;
  values: unknown[];
  /** The text is one of a small, fixed set (an RPC call): a driver may prepare it once per connection. */
  reusable?: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Postgres truncates longer names silently, which would address a different object. */
const MAX_IDENTIFIER_LENGTH = 63;

function invalid(detail: string): TenancyDbError {
  return new TenancyDbError(TenancyDbErrorCode.QueryFailed, detail);
}

/** Validates a table, column or function name and returns it unchanged. */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER_LENGTH) {
    throw invalid(`Invalid table, column or function name ${JSON.stringify(name.slice(0, 80))}.`);
  }
  return name;
}

export function quoteIdentifier(name: string): string {
  return `"${assertIdentifier(name)}"`;
}

/** `{ in: [...] }` is membership; any other object is a json value compared for equality. */
export function isInFilter(value: unknown): value is { in: DbValue[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'in' && Array.isArray((value as { in: unknown }).in);
}

/**
 * Refuses a value JSON cannot carry: an invalid Date or a NaN or infinite number. supabase-js
 * sends its body as JSON, where each becomes `null`, so an insert, an update or an RPC argument
 * wrote or passed NULL (a limit NaN by mistake read as unset, unlimited) where the SQL drivers
 * failed on the Date or stored `NaN`; every driver now refuses it before anything is sent.
 */
export function assertSendable(value: unknown, name: string): void {
  if (
    (value instanceof Date && Number.isNaN(value.getTime())) ||
    (typeof value === 'number' && !Number.isFinite(value))
  ) {
    throw invalid(`The value for ${JSON.stringify(name)} is ${String(value)}, which JSON cannot carry.`);
  }
}

/** Dates as ISO timestamps (read as timestamptz); objects and arrays as JSON text for json/jsonb. */
export function toSqlParam(value: DbValue, name = 'a value'): unknown {
  assertSendable(value, name);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value;
}

class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function whereClause(filter: Filter, params: Params): string {
  const conditions = Object.entries(filter).map(([column, value]) => {
    const col = quoteIdentifier(column);
    // An undefined value would otherwise drop the condition and widen an update or delete.
    if (value === undefined) throw invalid(`Filter value for ${JSON.stringify(column)} is undefined.`);
    if (value === null) return `${col} IS NULL`;
    if (isInFilter(value)) return `${col} = ANY(${params.add(value.in.map((v) => toSqlParam(v, column)))})`;
    return `${col} = ${params.add(toSqlParam(value, column))}`;
  });
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

function requireFilter(filter: Filter, operation: string): void {
  // Supabase (pg_safeupdate) refuses unfiltered writes; every driver does the same.
  if (Object.keys(filter).length === 0) throw invalid(`Refusing ${operation} without a filter.`);
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${what} must be a non-negative integer.`);
  return value;
}

/** Columns present in the rows, in first-seen order; `undefined` values count as absent. */
export function rowColumns(rows: DbRow[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) {
    for (const [column, value] of Object.entries(row)) if (value !== undefined) columns.add(column);
  }
  return [...columns].map(assertIdentifier);
}

export function buildSelect(table: string, filter: Filter = {}, options: SelectOptions = {}): SqlQuery {
  const params = new Params();
  const columns = options.columns?.length ? options.columns.map(quoteIdentifier).join(', ') : '*';
  let text = `SELECT ${columns} FROM ${quoteIdentifier(table)}${whereClause(filter, params)}`;
  if (options.orderBy?.length) {
    const terms = options.orderBy.map(
      (o) => `${quoteIdentifier(o.column)} ${o.ascending === false ? 'DESC' : 'ASC'}`,
    );
    text += ` ORDER BY ${terms.join(', ')}`;
  }
  if (options.limit !== undefined) text += ` LIMIT ${params.add(nonNegativeInteger(options.limit, 'limit'))}`;
  if (options.offset !== undefined) {
    text += ` OFFSET ${params.add(nonNegativeInteger(options.offset, 'offset'))}`;
  }
  return { text, values: params.values };
}

function insertText(table: string, rows: DbRow[], params: Params): string {
  const columns = rowColumns(rows);
  if (columns.length === 0) {
    if (rows.length !== 1) throw invalid('Rows without columns can only be inserted one at a time.');
    return `INSERT INTO ${quoteIdentifier(table)} DEFAULT VALUES`;
  }
  // A key missing from one row takes the column default, as supabase-js sends with `missing=default`.
  const tuples = rows.map((row) => {
    const cells = columns.map((c) =>
      row[c] === undefined ? 'DEFAULT' : params.add(toSqlParam(row[c] as DbValue, c)),
    );
    return `(${cells.join(', ')})`;
  });
  return `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) VALUES ${tuples.join(', ')}`;
}

export function buildInsert(table: string, rows: DbRow[]): SqlQuery {
  const params = new Params();
  return { text: `${insertText(table, rows, params)} RETURNING *`, values: params.values };
}

/** Every supplied column is overwritten on conflict, as PostgREST's `resolution=merge-duplicates` does. */
export function buildUpsert(table: string, rows: DbRow[], onConflict: string[]): SqlQuery {
  if (onConflict.length === 0) throw invalid('Upsert needs at least one conflict column.');
  const params = new Params();
  const insert = insertText(table, rows, params);
  const columns = rowColumns(rows);
  if (columns.length === 0) throw invalid('Upsert needs at least one column.');
  const target = onConflict.map(quoteIdentifier).join(', ');
  const set = columns.map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`).join(', ');
  return {
    text: `${insert} ON CONFLICT (${target}) DO UPDATE SET ${set} RETURNING *`,
    values: params.values,
  };
}

export function buildUpdate(table: string, filter: Filter, patch: DbRow): SqlQuery {
  requireFilter(filter, 'an update');
  const params = new Params();
  const columns = rowColumns([patch]);
  if (columns.length === 0) throw invalid('An update needs at least one column.');
  const set = columns
    .map((c) => `${quoteIdentifier(c)} = ${params.add(toSqlParam(patch[c] as DbValue, c))}`)
    .join(', ');
  const where = whereClause(filter, params);
  return { text: `UPDATE ${quoteIdentifier(table)} SET ${set}${where} RETURNING *`, values: params.values };
}

export function buildDelete(table: string, filter: Filter): SqlQuery {
  requireFilter(filter, 'a delete');
  const params = new Params();
  const where = whereClause(filter, params);
  return { text: `DELETE FROM ${quoteIdentifier(table)}${where} RETURNING *`, values: params.values };
}

/** Named notation, so argument order never matters and a renamed argument fails loudly. */
export function buildRpc(fn: string, args: Record<string, DbValue>): SqlQuery {
  const params = new Params();
  const named = Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${quoteIdentifier(name)} => ${params.add(toSqlParam(value, name))}`);
  return {
    text: `SELECT * FROM ${quoteIdentifier(fn)}(${named.join(', ')})`,
    values: params.values,
    reusable: true,
  };
}
