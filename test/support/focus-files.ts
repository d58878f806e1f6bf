import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { duckIdent, duckString } from '#warehouse';

/** One row of a FOCUS export file, as text (column name → cell). */
export type FocusFileRow = Record<string, string>;

/**
 * A valid FOCUS 1.3 export row with every mandatory column; `overrides` set or (with `undefined`)
 * remove cells. Values are what a provider's CSV holds: ISO timestamps, decimal text.
 */
export function aFocusFileRow(overrides: Record<string, string | undefined> = {}): FocusFileRow {
  const day = overrides.day ?? '2025-03-01';
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const row: Record<string, string | undefined> = {
    BillingAccountId: 'acct-001',
    BillingAccountName: 'Main account',
    SubAccountId: 'sub-001',
    BilledCost: '10.5',
    EffectiveCost: '9.5',
    ListCost: '12',
    ContractedCost: '10.5',
    BillingCurrency: 'USD',
    BillingPeriodStart: `${day.slice(0, 7)}-01T00:00:00Z`,
    BillingPeriodEnd: `${day.slice(0, 7)}-28T00:00:00Z`,
    ChargePeriodStart: `${day}T00:00:00Z`,
    ChargePeriodEnd: `${next}T00:00:00Z`,
    ChargeCategory: 'Usage',
    ChargeDescription: 'Compute usage',
    ServiceCategory: 'Compute',
    ServiceName: 'Amazon EC2',
    ServiceProviderName: 'AWS',
    HostProviderName: 'AWS',
    InvoiceIssuerName: 'Amazon Web Services, Inc.',
    RegionId: 'us-east-1',
    Tags: '{"env":"prod"}',
    ...overrides,
  };
  delete row.day;
  return Object.fromEntries(Object.entries(row).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The same row under FOCUS 1.2 names (ProviderName, PublisherName instead of their 1.3 successors). */
export function asFocus12(row: FocusFileRow): FocusFileRow {
  const { ServiceProviderName, HostProviderName, ...rest } = row;
  return { ...rest, ProviderName: ServiceProviderName ?? '', PublisherName: HostProviderName ?? '' };
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text with a header of every column any row names (missing cells are empty). */
export function focusCsv(rows: readonly FocusFileRow[], columns?: readonly string[]): string {
  const header = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(header.map((c) => csvCell(row[c] ?? '')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const TIMESTAMP_COLUMNS = new Set([
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
]);
const NUMBER_COLUMNS = new Set([
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ContractedCost',
  'ConsumedQuantity',
]);

/**
 * A Parquet file of the rows with native types, as exports write them: timestamps as UTC
 * datetimes, costs as doubles, the rest as strings.
 */
export function focusParquet(rows: readonly FocusFileRow[]): Buffer {
  const header = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const columns: Record<string, unknown[]> = {};
  for (const name of header) {
    const cells = rows.map((r) => (r[name] === undefined || r[name] === '' ? null : r[name]));
    if (TIMESTAMP_COLUMNS.has(name)) columns[name] = cells.map((c) => (c === null ? null : new Date(c)));
    else if (NUMBER_COLUMNS.has(name)) columns[name] = cells.map((c) => (c === null ? null : Number(c)));
    else columns[name] = cells;
  }
  const frame = pl.DataFrame(columns);
  const file = path.join(os.tmpdir(), `focus-${randomUUID()}.parquet`);
  try {
    frame.writeParquet(file);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * A Parquet file of the rows written by DuckDB, with the columns named in `types` cast to those
 * DuckDB types (`DECIMAL(38,9)` as BigQuery exports NUMERIC, `MAP(VARCHAR, VARCHAR)` as Spark
 * writes Tags from its JSON text); the other columns are text.
 */
export async function focusParquetTyped(
  rows: readonly FocusFileRow[],
  types: Readonly<Record<string, string>>,
): Promise<Buffer> {
  const base = path.join(os.tmpdir(), `focus-${randomUUID()}`);
  fs.writeFileSync(`${base}.csv`, focusCsv(rows));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const casts = Object.entries(types).map(([name, type]) => {
      const column = duckIdent(name);
      return type.startsWith('MAP(') || type.startsWith('STRUCT(')
        ? `CAST(CAST(${column} AS JSON) AS ${type}) AS ${column}`
        : `CAST(${column} AS ${type}) AS ${column}`;
    });
    await connection.run(
      `COPY (SELECT * REPLACE (${casts.join(', ')}) FROM read_csv(${duckString(`${base}.csv`)}, all_varchar = true))
       TO ${duckString(`${base}.parquet`)} (FORMAT parquet)`,
    );
    connection.closeSync();
    return fs.readFileSync(`${base}.parquet`);
  } finally {
    instance.closeSync();
    fs.rmSync(`${base}.csv`, { force: true });
    fs.rmSync(`${base}.parquet`, { force: true });
  }
}

export function gzip(data: string | Buffer): Buffer {
  return gzipSync(typeof data === 'string' ? Buffer.from(data) : data);
}

/** The first bytes of a PNG image: a binary file that is neither CSV nor Parquet. */
export const PNG_BYTES = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
]);

/** An unsigned LEB128 varint, as Thrift's compact protocol writes lengths and counts. */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) bytes.push((n & 0x7f) | 0x80);
  bytes.push(n);
  return Buffer.from(bytes);
}

/**
 * A Parquet file made of its footer alone, whose schema declares `structs` empty elements: one
 * byte each in the compact protocol (a STOP), so a few megabytes declare millions, and gzip makes
 * them a few kilobytes. FileMetaData: version 2, the schema list, num_rows 0, no row groups.
 */
export function parquetFooterBomb(structs: number): Buffer {
  const footer = Buffer.concat([
    Buffer.from([0x15]), // field 1, i32: version
    varint(4), // zigzag 2
    Buffer.from([0x19, 0xfc]), // field 2, list: schema, of structs, size in a varint
    varint(structs),
    Buffer.alloc(structs, 0), // each an empty struct
    Buffer.from([0x16, 0x00]), // field 3, i64: num_rows 0
    Buffer.from([0x19, 0x0c]), // field 4, list: row_groups, none
    Buffer.from([0x00]), // STOP
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  return Buffer.concat([Buffer.from('PAR1'), footer, length, Buffer.from('PAR1')]);
}
