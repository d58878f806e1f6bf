import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import type { Session } from './duckdb-connection-pool.js';
import type { BoundParams } from './duckdb-params.js';
import { frameCasts, frameColumn } from './frame-columns.js';
import { duckIdent, duckString } from './sql-tokenizer.js';

/**
 * Runs a SELECT into a Polars frame columnar: the result goes to a temp table (parameters are
 * allowed there, unlike in COPY), then to a Parquet file that Polars reads. Rows never become
 * JavaScript objects.
 */
export async function queryFrame(session: Session, sql: string, params: BoundParams): Promise<pl.DataFrame> {
  const id = randomUUID().replaceAll('-', '');
  const table = duckIdent(`__frame_${id}`);
  const file = join(tmpdir(), `duckdb-frame-${id}.parquet`);
  const { connection } = session;
  try {
    await connection.run(`CREATE TEMP TABLE ${table} AS ${sql}`, params.values, params.types);
    session.checkDeadline();
    const probe = await connection.runAndReadAll(`SELECT * FROM temp.${table} LIMIT 0`);
    const names = probe.columnNames();
    const types = probe.columnTypes();
    const columns = names.map((name, i) => frameColumn(name, types[i]!));
    await connection.run(
      `COPY (SELECT ${columns.join(', ')} FROM temp.${table}) TO ${duckString(file)} (FORMAT parquet, COMPRESSION uncompressed)`,
    );
    session.checkDeadline();
    const frame = pl.readParquet(file);
    const casts = frameCasts(names, types);
    return casts.length > 0 ? frame.withColumns(...casts) : frame;
  } finally {
    // Temp tables die with the connection anyway; a failed drop (after an interrupt) is harmless.
    await connection.run(`DROP TABLE IF EXISTS temp.${table}`).catch(() => undefined);
    await rm(file, { force: true });
  }
}
