import { DuckDBInstance } from '@duckdb/node-api';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A Parquet file whose MAP columns are JSON object text, as FOCUS writes `Tags`
 * (`{"env":"prod"}`): provider exports written by Spark or Athena type Tags as
 * `map<string,string>`, which Polars (polars-arrow 0.53) cannot read at all (it panics on the
 * first row). Such a file is copied once through DuckDB, every other column as it is, to
 * `${file}` with `.maps.parquet` in place of `.parquet`; a file without MAP columns is returned as it is.
 */
export async function withMapsAsJson(file: string): Promise<string> {
  try {
    return await rewriteMaps(file);
  } catch (error) {
    throw new CostImportError(CostImportErrorCode.FileUnreadable, 'The Parquet file could not be read.', {
      cause: error,
    });
  }
}

async function rewriteMaps(file: string): Promise<string> {
  // One thread and a memory ceiling: the rewrite streams, and must not take the server's CPUs or
  // memory from the requests it serves (the file's decoded size was checked before).
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
  try {
    const connection = await instance.connect();
    try {
      const source = `read_parquet(${literal(file)})`;
      const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
      const maps = columns
        .filter((c) => String(c.column_type).startsWith('MAP('))
        .map((c) => identifier(String(c.column_name)));
      if (maps.length === 0) return file;
      const target = `${file.replace(/\.parquet$/, '')}.maps.parquet`;
      const replaced = maps.map((name) => `CAST(to_json(${name}) AS VARCHAR) AS ${name}`).join(', ');
      await connection.run(
        `COPY (SELECT * REPLACE (${replaced}) FROM ${source}) TO ${literal(target)} (FORMAT parquet)`,
      );
      return target;
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
