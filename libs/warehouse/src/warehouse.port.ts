import type pl from 'nodejs-polars';
import type { FieldSchema, TableSchema } from './schema/table-schema.js';

/** BigQuery scalar types a parameter may be declared with. */
export type ParamScalarType =
  'STRING' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BOOL' | 'TIMESTAMP' | 'DATE' | 'JSON' | 'BYTES';

/**
 * A parameter with an explicit type: needed for NULLs, for DATE vs TIMESTAMP, for JSON and for
 * empty arrays (BigQuery cannot infer those). Build with `param.date('2026-01-31')` etc.
 */
export interface TypedParam {
  readonly kind: 'typed';
  readonly type: ParamScalarType;
  readonly array: boolean;
  readonly value: unknown;
}

export type ParamValue = string | number | boolean | Date | Buffer | string[] | number[] | TypedParam;

/** Named parameters: the SQL references them as `@name`. */
export type QueryParams = Record<string, ParamValue>;

export interface QueryOptions {
  /** Per-query timeout; the driver cancels/abandons the query and throws WAREHOUSE_TIMEOUT. */
  timeoutMs?: number;
  /** BigQuery only: the job fails instead of billing more than this many bytes. */
  maximumBytesBilled?: number;
  /** BigQuery only: job labels (cost attribution). */
  labels?: Record<string, string>;
}

export interface FrameOptions extends QueryOptions {
  /**
   * Text columns to return as Polars Categorical instead of Utf8. Only for columns drawn from a
   * bounded vocabulary: nodejs-polars keeps one global string cache that never shrinks. The
   * DuckDB driver then ships them as dictionary codes, far cheaper than text at a million rows.
   */
  categorical?: readonly string[];
  /**
   * The most rows the frame may have: a larger result is refused (WAREHOUSE_RESULT_TOO_LARGE, with
   * `max_rows`) before its rows are read into memory, where it could take the process's.
   */
  maxRows?: number;
  /**
   * The statement aggregates or sorts a larger input (GROUP BY, ORDER BY … LIMIT): a driver that
   * reads a result in several passes (DuckDB: its row count, its text columns' dictionaries, then
   * the export) computes it once into a temporary table first, instead of once a pass.
   */
  aggregates?: boolean;
}

/**
 * Normalised row values, identical across drivers:
 * STRING → string, INT64 → number, FLOAT64/NUMERIC → number, BOOL → boolean, TIMESTAMP → Date,
 * DATE → 'YYYY-MM-DD', JSON → parsed value, BYTES → Buffer, REPEATED → array, NULL → null.
 */
export type Row = Record<string, unknown>;

export interface TableRef {
  dataset: string;
  table: string;
}

/** A file on this machine to bulk-load into a table (see `Warehouse.loadFile`). */
export interface LoadFileSource {
  path: string;
  /** CSV with a header row, or Parquet. */
  format: 'csv' | 'parquet';
  /** CSV only: the file is gzip-compressed. */
  gzip?: boolean;
}

export interface ColumnDescription {
  name: string;
  /** Normalised BigQuery type name (STRING, INT64, FLOAT64, NUMERIC, BOOL, TIMESTAMP, DATE, JSON, BYTES, ...). */
  type: string;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
}

export interface TableDescription {
  dataset: string;
  table: string;
  kind: 'TABLE' | 'VIEW';
  columns: ColumnDescription[];
}

/**
 * The BigQuery data layer. Repositories write BigQuery Standard SQL with named `@params` and table
 * references from `tableRef()`; the DuckDB driver translates the documented subset.
 */
export interface Warehouse {
  readonly driver: 'bigquery' | 'duckdb';

  /** A SELECT (or any statement returning rows). */
  query<T extends Row = Row>(sql: string, params?: QueryParams, options?: QueryOptions): Promise<T[]>;
  /** A DML statement (INSERT/UPDATE/DELETE/MERGE); returns the number of affected rows. */
  execute(sql: string, params?: QueryParams, options?: QueryOptions): Promise<number>;
  /** A SELECT returned as a Polars DataFrame, loaded columnar (never through JS row objects). */
  queryFrame(sql: string, params?: QueryParams, options?: FrameOptions): Promise<pl.DataFrame>;
  /** Insert rows through DML (never the streaming buffer). Columns not given are NULL. */
  insertRows(ref: TableRef, rows: Row[]): Promise<number>;
  /**
   * Appends every row of a CSV (header row first) or Parquet file in one load, all or nothing:
   * the engine reads the file itself (DuckDB read_csv / read_parquet; a BigQuery load job), so
   * rows never become JavaScript values. Columns match the table's by name; each column of the
   * file must be a column of the table, and the table's other columns are NULL. Values convert
   * as the engine's own load converts them (CSV text is parsed by the engine, not by the driver).
   * Returns the number of rows loaded.
   */
  loadFile(ref: TableRef, source: LoadFileSource): Promise<number>;

  datasetExists(dataset: string): Promise<boolean>;
  /** Where the dataset lives (BigQuery's region or multi-region); null when it does not exist, or always on an engine without locations. */
  datasetLocation(dataset: string): Promise<string | null>;
  /** Creates the dataset when missing; returns true when it was created. */
  ensureDataset(dataset: string, options?: { location?: string; description?: string }): Promise<boolean>;
  /** Drops the dataset and everything in it; returns false when it did not exist. */
  dropDataset(dataset: string): Promise<boolean>;
  listTables(dataset: string): Promise<string[]>;
  /** Creates the table (with partitioning and clustering) when missing; returns true when created. */
  ensureTable(dataset: string, schema: TableSchema): Promise<boolean>;
  /** Adds NULLABLE columns that are missing (additive only). */
  addColumns(dataset: string, table: string, fields: FieldSchema[]): Promise<void>;
  dropTable(dataset: string, table: string): Promise<boolean>;
  /** Creates or replaces a view from BigQuery SQL (already expanded placeholders). */
  createOrReplaceView(dataset: string, view: string, sql: string): Promise<void>;
  /** null when the table or view does not exist. */
  describeTable(dataset: string, table: string): Promise<TableDescription | null>;

  /** A trivial round trip (`SELECT 1`), for readiness checks. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const WAREHOUSE = Symbol('WAREHOUSE');
