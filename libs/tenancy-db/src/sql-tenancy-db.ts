import { mapDriverError } from './db-error-mapping.js';
import {
  buildDelete,
  buildInsert,
  buildRpc,
  buildSelect,
  buildUpdate,
  buildUpsert,
  type SqlQuery,
} from './sql-builder.js';
import type { DbRow, DbValue, Filter, SelectOptions } from './tenancy-db.port.js';
import { isVoidResult } from './value-normalisation.js';
import { withTimeout } from './with-timeout.js';

/** What a driver returns for one statement: its rows and the result's column types. */
export interface RawResult<T> {
  rows: T[];
  fields: readonly { dataTypeID: number }[];
}

/**
 * The table and RPC operations shared by the drivers that speak SQL themselves (pg and PGlite):
 * one SQL builder, one error mapping; a driver only says how to run one statement and how to close.
 */
export abstract class SqlTenancyDb {
  private closed = false;

  protected abstract run<T extends DbRow>(query: SqlQuery): Promise<RawResult<T>>;
  protected abstract closeConnection(): Promise<void>;

  select<T extends DbRow = DbRow>(table: string, filter?: Filter, options?: SelectOptions): Promise<T[]> {
    return this.rows<T>(() => buildSelect(table, filter, options));
  }

  insert<T extends DbRow = DbRow>(table: string, rows: DbRow[]): Promise<T[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.rows<T>(() => buildInsert(table, rows));
  }

  upsert<T extends DbRow = DbRow>(table: string, rows: DbRow[], onConflict: string[]): Promise<T[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.rows<T>(() => buildUpsert(table, rows, onConflict));
  }

  update<T extends DbRow = DbRow>(table: string, filter: Filter, patch: DbRow): Promise<T[]> {
    return this.rows<T>(() => buildUpdate(table, filter, patch));
  }

  delete<T extends DbRow = DbRow>(table: string, filter: Filter): Promise<T[]> {
    return this.rows<T>(() => buildDelete(table, filter));
  }

  rpc<T extends DbRow = DbRow>(fn: string, args: Record<string, DbValue>): Promise<T[]> {
    return this.rows<T>(() => buildRpc(fn, args));
  }

  async ping(timeoutMs = 5_000): Promise<void> {
    await withTimeout(
      this.rows(() => ({ text: 'SELECT 1 AS ok', values: [] })),
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeConnection();
  }

  /** Builder errors (bad identifiers) and driver errors alike leave as TenancyDbError. */
  private async rows<T extends DbRow>(build: () => SqlQuery): Promise<T[]> {
    let result: RawResult<T>;
    try {
      result = await this.run<T>(build());
    } catch (err) {
      throw mapDriverError(err);
    }
    return isVoidResult(result.fields) ? [] : result.rows;
  }
}
