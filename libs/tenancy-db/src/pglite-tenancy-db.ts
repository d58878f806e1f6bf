import { mkdir } from 'node:fs/promises';
import { PGlite, type Results } from '@electric-sql/pglite';
import { mapDriverError, tenancyDbError } from './db-error-mapping.js';
import { applyMigrations } from './migrations.js';
import { freshClusterSnapshot } from './pglite-snapshot.js';
import {
  buildDelete,
  buildInsert,
  buildRpc,
  buildSelect,
  buildUpdate,
  buildUpsert,
  quoteIdentifier,
  type SqlQuery,
} from './sql-builder.js';
import type { SqlSession, SqlTransactor } from './sql-session.js';
import type { DbRow, DbValue, Filter, SelectOptions, TenancyDb } from './tenancy-db.port.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';
import { isVoidResult, SCALAR_PARSERS } from './value-normalisation.js';
import { withTimeout } from './with-timeout.js';

export interface PgliteTenancyDbOptions {
  /** A folder for the database files (created if missing); in memory when undefined. */
  dataDir?: string;
  /** Run in this schema (created if missing) instead of `public`; for tests. */
  schema?: string;
  /** Defaults to configs/supabase/migrations. */
  migrationsDir?: string;
}

/** The embedded default: real Postgres (18, wasm) in-process, one connection, queries serialised. */
export class PgliteTenancyDb implements TenancyDb, SqlTransactor {
  readonly driver = 'pglite' as const;
  private closed = false;

  private constructor(
    private readonly pg: PGlite,
    private readonly migrationsDir: string | undefined,
  ) {}

  static async open(options: PgliteTenancyDbOptions = {}): Promise<PgliteTenancyDb> {
    const schema = options.schema === undefined ? undefined : quoteIdentifier(options.schema);
    let pg: PGlite | undefined;
    try {
      if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
      pg =
        options.dataDir === undefined
          ? await PGlite.create({ loadDataDir: await freshClusterSnapshot(), parsers: { ...SCALAR_PARSERS } })
          : await PGlite.create({ dataDir: options.dataDir, parsers: { ...SCALAR_PARSERS } });
      // One session for the life of the instance, so session settings hold for every query.
      await pg.exec(`SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, MDY'`);
      if (schema !== undefined)
        await pg.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
    } catch (cause) {
      await pg?.close().catch(() => undefined);
      throw tenancyDbError(TenancyDbErrorCode.Unavailable, cause);
    }
    return new PgliteTenancyDb(pg, options.migrationsDir);
  }

  migrate(): Promise<string[]> {
    return applyMigrations(this, this.migrationsDir);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    try {
      return await this.pg.transaction((tx) =>
        fn({
          query: async <R extends DbRow = DbRow>(text: string, values?: unknown[]) =>
            (await tx.query<R>(text, values)).rows,
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      );
    } catch (err) {
      throw mapDriverError(err);
    }
  }

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
    await this.pg.close();
  }

  private async rows<T extends DbRow>(build: () => SqlQuery): Promise<T[]> {
    const query = build();
    let result: Results<T>;
    try {
      result = await this.pg.query<T>(query.text, query.values);
    } catch (err) {
      throw mapDriverError(err);
    }
    return isVoidResult(result.fields) ? [] : result.rows;
  }
}
