import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckIdent, duckString } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

/**
 * A Parquet file whose MAP columns are JSON object text, as FOCUS writes `Tags`
 * (`{"env":"prod"}`): provider exports written by Spark or Athena type Tags as
 * `map<string,string>`, which Polars (polars-arrow 0.53) cannot read at all (it panics on the
 * first row). Such a file is copied once through DuckDB, every other column as it is, to
 * `${file}` with `.maps.parquet` in place of `.parquet`; a file without MAP columns is returned as
 * it is. `admit` is told the bytes the maps' JSON text will take before anything is written, and
 * refuses (throws) when the file would be too large once decoded.
 */
export async function withMapsAsJson(file: string, admit: (mapTextBytes: number) => void): Promise<string> {
  return onRewriteDuckDb(async (connection) => {
    const source = `read_parquet(${duckString(file)})`;
    const maps = await unreadable(async () =>
      (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
        .getRowObjects()
        .filter((c) => String(c.column_type).startsWith('MAP('))
        .map((c) => duckIdent(String(c.column_name))),
    );
    if (maps.length === 0) return file;
    const asJson = (name: string) => `CAST(to_json(${name}) AS VARCHAR)`;
    const [sized] = await unreadable(async () =>
      (
        await connection.runAndReadAll(
          `SELECT CAST(${maps.map((m) => `COALESCE(SUM(strlen(${asJson(m)})), 0)`).join(' + ')} AS DOUBLE) AS bytes FROM ${source}`,
        )
      ).getRowObjects(),
    );
    admit(Number(sized?.bytes ?? 0));
    const target = `${file.replace(/\.parquet$/, '')}.maps.parquet`;
    const replaced = maps.map((name) => `${asJson(name)} AS ${name}`).join(', ');
    await connection.run(
      `COPY (SELECT * REPLACE (${replaced}) FROM ${source}) TO ${duckString(target)} (FORMAT parquet, ROW_GROUP_SIZE 8192)`,
    );
    return target;
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
