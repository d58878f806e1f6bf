import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { withCategorical } from '../frame-categorical.js';
import { checkFrameRows } from '../warehouse.errors.js';
import type { FrameOptions } from '../warehouse.port.js';
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

/** Above this many distinct values a text column ships as plain text, not dictionary-encoded. */
const MAX_DICTIONARY = 4096;

const isText = (type: DuckDBType) => type.typeId === DuckDBTypeId.VARCHAR && type.alias !== 'JSON';

/**
 * The distinct non-null values of each text column (in one scan), or null for a column with more
 * than MAX_DICTIONARY of them.
 */
async function dictionaries(
  connection: DuckDBConnection,
  source: string,
  params: BoundParams | null,
  columns: readonly string[],
): Promise<(string[] | null)[]> {
  const lists = columns.map(
    (name, i) => `coalesce(list(DISTINCT ${duckIdent(name)}) FILTER (WHERE ${duckIdent(name)} IS NOT NULL),
      CAST([] AS VARCHAR[])) AS d${i}`,
  );
  const bounded = columns.map((_, i) => `CASE WHEN len(d${i}) <= ${MAX_DICTIONARY} THEN d${i} END`);
  const reader = await connection.runAndReadAll(
    `SELECT ${bounded.join(', ')} FROM (SELECT ${lists.join(', ')} FROM ${source})`,
    params?.values,
    params?.types,
  );
  const row = reader.getRows()[0] ?? [];
  return columns.map((_, i) => {
    const list = row[i] as { items: (string | null)[] } | null | undefined;
    return list ? (list.items as string[]) : null;
  });
}

/** An ENUM type of the given values (non-empty, distinct). */
const enumType = (values: readonly string[]) => `ENUM(${values.map(duckString).join(', ')})`;

interface CodedColumn {
  name: string;
  values: string[];
}

/**
 * Runs a SELECT into a Polars frame columnar: DuckDB writes the result to a Parquet file (COPY
 * takes the parameters directly) that Polars reads, so rows never become JavaScript objects.
 * A statement whose column types depend on its parameters is materialised in a temp table first,
 * to learn them, and so is an aggregation (`aggregates`), which each pass would compute again.
 */
export async function queryFrame(
  session: Session,
  sql: string,
  params: BoundParams,
  {
    categorical = [],
    maxRows,
    aggregates = false,
  }: Pick<FrameOptions, 'categorical' | 'maxRows' | 'aggregates'> = {},
): Promise<pl.DataFrame> {
  const id = randomUUID().replaceAll('-', '');
  const table = `temp.${duckIdent(`__frame_${id}`)}`;
  const file = join(tmpdir(), `duckdb-frame-${id}.parquet`);
  const { connection } = session;
  let source = `(${sql}) AS __frame`;
  let sourceParams: BoundParams | null = params;
  let transaction = false;
  try {
    // An aggregation is computed once, into the temp table, rather than once for each pass below.
    let shape = aggregates ? null : await preparedShape(connection, sql);
    if (!shape) {
      // Dropped by the pool when the work ends, a timed-out or failed one included.
      session.afterWork(`DROP TABLE IF EXISTS ${table}`);
      await connection.run(`CREATE TEMP TABLE ${table.slice(5)} AS ${sql}`, params.values, params.types);
      source = table;
      sourceParams = null;
      session.checkDeadline();
      const probe = await connection.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`);
      shape = { names: probe.columnNames(), types: probe.columnTypes() };
    }
    if (maxRows !== undefined) {
      // Before any work on the rows (dictionaries, the file): a count that stops one row past the
      // bound, of no column (DuckDB then computes none of the select list).
      const counted = await connection.runAndReadAll(
        `SELECT count(*) FROM (SELECT 1 FROM ${source} LIMIT ${maxRows + 1})`,
        sourceParams?.values,
        sourceParams?.types,
      );
      checkFrameRows(Number(counted.getRows()[0]?.[0] ?? 0), maxRows);
      session.checkDeadline();
    }
    const { names, types } = shape;
    const columns = names.map((name, i) => frameColumn(name, types[i]!));
    // Text with few distinct values travels as an ENUM (DuckDB writes its dictionary as is, where
    // text is hashed again row by row), and a column wanted Categorical as the ENUM's codes alone,
    // decoded in Polars against the values: text then never exists per row. Both statements see
    // one snapshot, so no value can appear between them.
    const text = names.flatMap((name, i) => (isText(types[i]!) ? [name] : []));
    const coded: CodedColumn[] = [];
    if (text.length > 0) {
      await connection.run('BEGIN TRANSACTION');
      transaction = true;
      const values = await dictionaries(connection, source, sourceParams, text);
      session.checkDeadline();
      text.forEach((name, t) => {
        const dictionary = values[t];
        if (!dictionary || dictionary.length === 0) return;
        const i = names.indexOf(name);
        const column = duckIdent(name);
        const asEnum = `CAST(${column} AS ${enumType(dictionary)})`;
        if (categorical.includes(name)) {
          columns[i] = `CAST(enum_code(${asEnum}) AS UINTEGER) AS ${column}`;
          coded.push({ name, values: dictionary });
        } else columns[i] = `${asEnum} AS ${column}`;
      });
    }
    await connection.run(
      `COPY (SELECT ${columns.join(', ')} FROM ${source}) TO ${duckString(file)} (FORMAT parquet, COMPRESSION uncompressed)`,
      sourceParams?.values,
      sourceParams?.types,
    );
    if (transaction) {
      transaction = false;
      await connection.run('COMMIT');
    }
    session.checkDeadline();
    // One chunk per column, assembled while reading (DuckDB writes row groups in parallel): a
    // frame in pieces costs nodejs-polars 0.24 far more per filter, and a later rechunk copies it.
    // Read in Polars' thread pool (collect, not collectSync): a 250,000-row listing frame held the
    // event loop, every tenant's requests, for a quarter of a second.
    const frame = await pl.scanParquet(file, { rechunk: true }).collect();
    const casts = [
      ...frameCasts(names, types),
      ...coded.map(({ name, values }) =>
        pl
          .col(name)
          .replaceStrict(
            values.map((_, code) => code),
            values,
            // A NULL code stays NULL (the typing asks for an Expr; a null literal is one).
            pl.lit(null),
            pl.Categorical,
          )
          .alias(name),
      ),
    ];
    // Cast in Polars' thread pool too, after the Categorical casts' dtypes are read off the file's.
    return await withCategorical(
      frame,
      categorical.filter((name) => !coded.some((c) => c.name === name)),
      casts,
    );
  } finally {
    if (transaction) await connection.run('ROLLBACK').catch(() => undefined);
    await rm(file, { force: true });
  }
}
