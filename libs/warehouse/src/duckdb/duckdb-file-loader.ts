import type { DuckDBConnection } from '@duckdb/node-api';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type { LoadFileSource } from '../warehouse.port.js';
import type { ColumnBinder } from './duckdb-row-binding.js';
import { duckIdent, duckString } from './sql-tokenizer.js';

/**
 * The table function reading the file. CSV is read as text with fixed dialect (no sniffing, so a
 * value never changes type with the rows around it) and cast by the INSERT; an empty field is NULL.
 */
function reader(source: LoadFileSource): string {
  const path = duckString(source.path);
  if (source.format === 'parquet') return `read_parquet(${path})`;
  const compression = source.gzip ? 'gzip' : 'none';
  return `read_csv(${path}, header = true, delim = ',', quote = '"', escape = '"', all_varchar = true, compression = '${compression}')`;
}

/**
 * Bulk-loads a file in one INSERT ... SELECT: DuckDB reads and converts it in parallel, natively,
 * and a single statement lands every row or none. Each file column is cast to its table column's
 * type; the table's other columns are NULL.
 */
export async function loadFile(
  connection: DuckDBConnection,
  target: { quoted: string; label: string },
  binders: ReadonlyMap<string, ColumnBinder>,
  source: LoadFileSource,
): Promise<number> {
  const from = reader(source);
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  const names = described.getRows().map((row) => String(row[0]));
  const columns = names.map((name) => {
    const binder = binders.get(name);
    if (!binder)
      throw new WarehouseError(
        WarehouseErrorCode.QueryFailed,
        `loadFile: ${target.label} has no column ${name}`,
      );
    return binder;
  });
  if (columns.length === 0) return 0;
  const list = columns.map((c) => duckIdent(c.name)).join(', ');
  const casts = columns.map((c) => `CAST(${duckIdent(c.name)} AS ${c.sqlType})`).join(', ');
  const result = await connection.run(`INSERT INTO ${target.quoted} (${list}) SELECT ${casts} FROM ${from}`);
  return result.rowsChanged;
}
