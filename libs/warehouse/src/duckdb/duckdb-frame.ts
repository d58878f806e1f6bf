import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import type { Session } from './duckdb-connection-pool.js';
import type { BoundParams } from './duckdb-params.js';
import { frameCasts, frameColumn } from './frame-columns.js';
import { duckIdent, duckString } from './sql-tokenizer.js';

interface ResultShape {
  names: string[];
  types: DuckDBType[];
}

/**
 * The result's columns, from preparing the statement (nothing runs); null when a column's type
 * depends on a parameter's, which DuckDB resolves only when the statement executes.
 */
async function preparedShape(connection: DuckDBConnection, sql: string): Promise<ResultShape | null> {
  const prepared = await connection.prepare(sql);
  try {
    const indexes = Array.from({ length: prepared.columnCount }, (_, i) => i);
    if (indexes.some((i) => prepared.columnTypeId(i) === DuckDBTypeId.INVALID)) return null;
    return {
      names: indexes.map((i) => prepared.columnName(i)),
      types: indexes.map((i) => prepared.columnType(i)),
    };
  } finally {
    prepared.destroySync();
  }
}

/**
 * Runs a SELECT into a Polars frame columnar: DuckDB writes the result to a Parquet file (COPY
 * takes the parameters directly) that Polars reads, so rows never become JavaScript objects.
 * A statement whose column types depend on its parameters is materialised in a temp table first,
 * to learn them.
 */
export async function queryFrame(session: Session, sql: string, params: BoundParams): Promise<pl.DataFrame> {
  const id = randomUUID().replaceAll('-', '');
  const table = `temp.${duckIdent(`__frame_${id}`)}`;
  const file = join(tmpdir(), `duckdb-frame-${id}.parquet`);
  const { connection } = session;
  let source = `(${sql}) AS __frame`;
  let sourceParams: BoundParams | null = params;
  try {
    let shape = await preparedShape(connection, sql);
    if (!shape) {
      await connection.run(`CREATE TEMP TABLE ${table.slice(5)} AS ${sql}`, params.values, params.types);
      session.checkDeadline();
      const probe = await connection.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`);
      shape = { names: probe.columnNames(), types: probe.columnTypes() };
      source = table;
      sourceParams = null;
    }
    const columns = shape.names.map((name, i) => frameColumn(name, shape.types[i]!));
    await connection.run(
      `COPY (SELECT ${columns.join(', ')} FROM ${source}) TO ${duckString(file)} (FORMAT parquet, COMPRESSION uncompressed)`,
      sourceParams?.values,
      sourceParams?.types,
    );
    session.checkDeadline();
    const frame = pl.readParquet(file);
    const casts = frameCasts(shape.names, shape.types);
    return casts.length > 0 ? frame.withColumns(...casts) : frame;
  } finally {
    // Temp tables die with the connection anyway; a failed drop (after an interrupt) is harmless.
    if (source === table) await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await rm(file, { force: true });
  }
}
