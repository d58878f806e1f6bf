/** BigQuery JSON schema types, as they appear in configs/warehouse/**.json. */
export type FieldType =
  | 'STRING'
  | 'INTEGER'
  | 'INT64'
  | 'FLOAT'
  | 'FLOAT64'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'BOOLEAN'
  | 'BOOL'
  | 'TIMESTAMP'
  | 'DATE'
  | 'DATETIME'
  | 'TIME'
  | 'JSON'
  | 'BYTES'
  | 'RECORD'
  | 'STRUCT';

export type FieldMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

export interface FieldSchema {
  name: string;
  type: FieldType;
  mode?: FieldMode;
  description?: string;
  /** Sub-fields of a RECORD/STRUCT. */
  fields?: FieldSchema[];
}

export interface TableSchema {
  /** Table name (unqualified). */
  name: string;
  description?: string;
  fields: FieldSchema[];
  /** DAY partitioning on a DATE/TIMESTAMP column; absent = unpartitioned. */
  timePartitioning?: { type: 'DAY'; field: string };
  /** Up to four clustering columns. */
  clustering?: string[];
  /**
   * A scratch table: BigQuery deletes it by itself this long after creation (`expirationTime`), so
   * one left behind by a crashed process does not stay. DuckDB ignores it (a local file, one process).
   */
  expiresAfterMs?: number;
}

export interface ViewSchema {
  name: string;
  /**
   * BigQuery Standard SQL of the view body with placeholders `{dataset}` (the org dataset),
   * `{central}` (the central dataset) and `{org_slug}`.
   */
  sql: string;
  description?: string;
}
