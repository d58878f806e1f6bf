import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckIdent, duckString } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/** What a non-text value is counted as once decoded (a 64-bit number, date or flag at most). */
export const FIXED_VALUE_BYTES = 8;

/** A Parquet file as the import reads it: which file, and what its values take once decoded. */
export interface MeasuredParquet {
  /** The file itself, or its copy with MAP columns as JSON text. */
  path: string;
  /** The bytes of its text values, JSON text for its maps, FIXED_VALUE_BYTES per other value. */
  decodedBytes: number;
}

/**
 * Measures what a Parquet file's values take once decoded, refuses it through `admit` (which
 * throws) when that is too much, and only then rewrites its MAP columns as JSON object text, as
 * FOCUS writes `Tags` (`{"env":"prod"}`): provider exports written by Spark or Athena type Tags
 * as `map<string,string>`, which Polars (polars-arrow 0.53) cannot read at all (it panics on the
 * first row). The copy is `${file}` with `.maps.parquet` in place of `.parquet`.
 *
 * Parquet's dictionary and run-length encodings make a file of a few KB decode to tens of GB (a
 * 45 KB file held 100 million rows), so the upload's size says nothing about what the import
 * would go through. The measurement is one streaming pass of DuckDB on its own thread, in
 * constant memory: Polars could only stream it synchronously, which held the event loop of every
 * request for a minute over that 45 KB file, and its asynchronous collect holds whole columns
 * (21 GB for it).
 */
export async function measuredParquet(
  file: string,
  admit: (decodedBytes: number) => void,
): Promise<MeasuredParquet> {
  return onRewriteDuckDb(async (connection) => {
    const source = `read_parquet(${duckString(file)})`;
    const columns = await unreadable(async () =>
      (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
        .getRowObjects()
        .map((c) => ({ name: duckIdent(String(c.column_name)), type: String(c.column_type) })),
    );
    const text = columns.filter((c) => c.type === 'VARCHAR').map((c) => c.name);
    const maps = columns.filter((c) => c.type.startsWith('MAP(')).map((c) => c.name);
    const asJson = (name: string) => `CAST(to_json(${name}) AS VARCHAR)`;
    const sum = (values: string[]) =>
      values.length ? values.map((v) => `COALESCE(SUM(strlen(${v})), 0)`).join(' + ') : '0';
    const [totals] = await unreadable(async () =>
      (
        await connection.runAndReadAll(
          `SELECT CAST(COUNT(*) AS DOUBLE) AS rows, CAST(${sum(text)} AS DOUBLE) AS text,
                  CAST(${sum(maps.map(asJson))} AS DOUBLE) AS maps FROM ${source}`,
        )
      ).getRowObjects(),
    );
    const rows = Number(totals?.rows ?? 0);
    // A map counts as a fixed value and its JSON text: the row path reads both.
    const decodedBytes =
      Number(totals?.text ?? 0) +
      Number(totals?.maps ?? 0) +
      rows * (columns.length - text.length) * FIXED_VALUE_BYTES;
    admit(decodedBytes);
    if (maps.length === 0) return { path: file, decodedBytes };
    const target = `${file.replace(/\.parquet$/, '')}.maps.parquet`;
    const replaced = maps.map((name) => `${asJson(name)} AS ${name}`).join(', ');
    await connection.run(
      `COPY (SELECT * REPLACE (${replaced}) FROM ${source}) TO ${duckString(target)} (FORMAT parquet, ROW_GROUP_SIZE 8192)`,
    );
    return { path: target, decodedBytes };
  });
}

/**
 * `work` on a DuckDB of its own for rewriting an upload (Parquet in, Parquet out): one thread and a
 * memory ceiling, so a rewrite does not take the server's CPUs or memory from the requests it
 * serves. Small row groups (ROW_GROUP_SIZE 8192 in the COPY) keep what the writer buffers under it.
 */
export async function onRewriteDuckDb<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
  try {
    const connection = await instance.connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** What reading the file failed on is the file's fault (422); the rewrite's own failures are not. */
async function unreadable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new CostImportError(CostImportErrorCode.FileUnreadable, 'The Parquet file could not be read.', {
      cause: error,
    });
  }
}
