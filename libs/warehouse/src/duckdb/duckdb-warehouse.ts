import { chmod, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type pl from 'nodejs-polars';
import type { FieldSchema, TableSchema } from '../schema/table-schema.js';
import { assertIdentifier } from '../sql.js';
import { WarehouseError, WarehouseErrorCode } from '../warehouse.errors.js';
import type {
  FrameOptions,
  LoadFileSource,
  QueryOptions,
  QueryParams,
  Row,
  TableDescription,
  TableRef,
  Warehouse,
} from '../warehouse.port.js';
import { type Translation, translateBigQuerySql } from './bigquery-sql-translator.js';
import {
  addColumnsSql,
  createTableSql,
  describe,
  expiredTables,
  qualifiedName,
  schemaExists,
  schemaName,
  tableExpirySql,
  tableNames,
} from './duckdb-catalog.js';
import { DuckDbConnectionPool, type Lane, type Session } from './duckdb-connection-pool.js';
import { isWriteConflict, toWarehouseError } from './duckdb-errors.js';
import { loadFile } from './duckdb-file-loader.js';
import { queryFrame } from './duckdb-frame.js';
import { insertRows } from './duckdb-inserter.js';
import { type BoundParams, bindParams, paramCasts } from './duckdb-params.js';
import { type ColumnBinder, columnBinder } from './duckdb-row-binding.js';
import { readRows } from './duckdb-values.js';

export interface DuckDbWarehouseOptions {
  /** `':memory:'` or a database file (its directory is created when missing). */
  path: string;
  /** DuckDB worker threads; DuckDB's default (all cores) when absent. */
  threads?: number;
  /** DuckDB's memory_limit (`2048MiB`); DuckDB's default (80% of the machine) when absent. */
  memoryLimit?: string;
  /** Connections in the pool, i.e. statements that may run at once (default 4). */
  connections?: number;
}

async function initConnection(connection: DuckDBConnection): Promise<void> {
  // BigQuery evaluates dates and timestamps in UTC and sorts NULLs first ascending, last descending.
  await connection.run(`SET TimeZone = 'UTC'`);
  await connection.run(`SET default_null_order = 'nulls_first_on_asc_last_on_desc'`);
}

/** The embedded warehouse: BigQuery SQL on DuckDB, one DuckDB schema per dataset. */
export class DuckDbWarehouse implements Warehouse {
  readonly driver = 'duckdb' as const;
  /** Column binders per "dataset.table" for insertRows; dropped whenever DDL may change them. */
  private readonly binders = new Map<string, ReadonlyMap<string, ColumnBinder>>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly pool: DuckDbConnectionPool,
  ) {}

  static async open(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
    if (options.path !== ':memory:') await mkdir(dirname(resolve(options.path)), { recursive: true });
    const config: Record<string, string> = {
      // Extensions ship built in; never let DuckDB try to download one.
      autoinstall_known_extensions: 'false',
      // BigQuery's semantics: rows come in no particular order without ORDER BY. DuckDB may then
      // write and scan in parallel without re-sequencing (a cost frame's Parquet export is about
      // a fifth faster), and code that silently relied on an order fails here, not in production.
      preserve_insertion_order: 'false',
    };
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, config);
    } catch (cause) {
      // DuckDB lets one process at a time open a database file.
      const inUse = cause instanceof Error && /could not set lock on file/i.test(cause.message);
      throw new WarehouseError(
        WarehouseErrorCode.Unavailable,
        inUse
          ? `The embedded warehouse ${options.path} is in use by another process (a running server?): ` +
              'only one process at a time can open it'
          : `The embedded warehouse ${options.path} (DUCKDB_PATH) could not be opened`,
        { cause },
      );
    }
    try {
      // Every org's costs and key hashes: the owner's alone (DuckDB creates the file 0644).
      // A file of another owner the process may write (a mounted volume) keeps its mode: the start
      // does not fail for it (DATA_DIR's own mode is what the app checks and reports).
      if (options.path !== ':memory:') await chmod(options.path, 0o600).catch(() => undefined);
      const pool = await DuckDbConnectionPool.create(instance, options.connections ?? 4, initConnection);
      const warehouse = new DuckDbWarehouse(instance, pool);
      // Tables that expired while no process had the file open (a staging table of a killed import).
      await warehouse.session((session) => warehouse.dropExpired(session.connection));
      return warehouse;
    } catch (cause) {
      instance.closeSync();
      throw new WarehouseError(
        WarehouseErrorCode.Unavailable,
        `The embedded warehouse ${options.path} (DUCKDB_PATH) could not be opened`,
        { cause },
      );
    }
  }

  async query<T extends Row = Row>(
    sql: string,
    params: QueryParams = {},
    options: QueryOptions = {},
  ): Promise<T[]> {
    const { translation, bound } = this.translate(sql, params);
    const run = () =>
      this.session(async ({ connection }) => {
        const reader = await connection.runAndReadAll(translation.sql, bound.values, bound.types);
        // DuckDB answers DML with a "Count" row; BigQuery's query() returns no rows for DML.
        return translation.statement === 'SELECT' ? readRows<T>(reader) : [];
      }, options.timeoutMs);
    return translation.statement === 'SELECT' ? run() : retryingConflicts(run);
  }

  async execute(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<number> {
    const { translation, bound } = this.translate(sql, params);
    if (translation.statement === 'CREATE_VIEW') this.binders.clear();
    return retryingConflicts(() =>
      this.session(async ({ connection }) => {
        return (await connection.run(translation.sql, bound.values, bound.types)).rowsChanged;
      }, options.timeoutMs),
    );
  }

  async queryFrame(sql: string, params: QueryParams = {}, options: FrameOptions = {}): Promise<pl.DataFrame> {
    const { translation, bound } = this.translate(sql, params);
    if (translation.statement !== 'SELECT') {
      throw new WarehouseError(WarehouseErrorCode.QueryFailed, 'queryFrame needs a SELECT statement');
    }
    return this.session(
      (session) => queryFrame(session, translation.sql, bound, options),
      options.timeoutMs,
      'bulk',
    );
  }

  async insertRows(ref: TableRef, rows: Row[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.session(async ({ connection }) => {
      const target = { quoted: qualifiedName(ref.dataset, ref.table), label: `${ref.dataset}.${ref.table}` };
      const binders = await this.bindersFor(connection, target);
      return insertRows(connection, target, binders, rows);
    });
  }

  async loadFile(ref: TableRef, source: LoadFileSource): Promise<number> {
    return this.session(async ({ connection }) => {
      const target = { quoted: qualifiedName(ref.dataset, ref.table), label: `${ref.dataset}.${ref.table}` };
      return loadFile(connection, target, await this.bindersFor(connection, target), source);
    });
  }

  async datasetExists(dataset: string): Promise<boolean> {
    return this.session(({ connection }) => schemaExists(connection, assertIdentifier(dataset, 'dataset')));
  }

  /** A schema has no location (see ensureDataset). */
  async datasetLocation(): Promise<string | null> {
    return null;
  }

  /** Location and description are BigQuery dataset metadata with no DuckDB counterpart. */
  async ensureDataset(dataset: string): Promise<boolean> {
    return this.session(async ({ connection }) => {
      if (await schemaExists(connection, assertIdentifier(dataset, 'dataset'))) return false;
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${schemaName(dataset)}`);
      return true;
    });
  }

  async dropDataset(dataset: string): Promise<boolean> {
    return this.session(async ({ connection }) => {
      if (!(await schemaExists(connection, assertIdentifier(dataset, 'dataset')))) return false;
      await connection.run(`DROP SCHEMA ${schemaName(dataset)} CASCADE`);
      for (const key of this.binders.keys()) if (key.startsWith(`${dataset}.`)) this.binders.delete(key);
      return true;
    });
  }

  async listTables(dataset: string): Promise<string[]> {
    return this.session(async ({ connection }) => {
      if (!(await schemaExists(connection, assertIdentifier(dataset, 'dataset')))) {
        throw new WarehouseError(WarehouseErrorCode.NotFound, `Dataset ${dataset} was not found`);
      }
      return tableNames(connection, dataset);
    });
  }

  /** A table with `expiresAfterMs` is dropped once past it: at the next such creation or open. */
  async ensureTable(dataset: string, schema: TableSchema): Promise<boolean> {
    return this.session(async ({ connection }) => {
      if (schema.expiresAfterMs) await this.dropExpired(connection);
      if (await describe(connection, assertIdentifier(dataset, 'dataset'), schema.name)) return false;
      await connection.run(createTableSql(dataset, schema));
      if (schema.expiresAfterMs)
        await connection.run(
          tableExpirySql(dataset, schema.name, new Date(Date.now() + schema.expiresAfterMs)),
        );
      this.binders.delete(`${dataset}.${schema.name}`);
      return true;
    });
  }

  async addColumns(dataset: string, table: string, fields: FieldSchema[]): Promise<void> {
    await this.session(async ({ connection }) => {
      for (const statement of addColumnsSql(dataset, table, fields)) await connection.run(statement);
      this.binders.delete(`${dataset}.${table}`);
    });
  }

  async dropTable(dataset: string, table: string): Promise<boolean> {
    return this.session(async ({ connection }) => {
      const found = await describe(connection, assertIdentifier(dataset, 'dataset'), table);
      if (!found) return false;
      await connection.run(`DROP ${found.kind} ${qualifiedName(dataset, table)}`);
      this.binders.delete(`${dataset}.${table}`);
      return true;
    });
  }

  async createOrReplaceView(dataset: string, view: string, sql: string): Promise<void> {
    const translation = translateBigQuerySql(sql);
    if (translation.statement !== 'SELECT' || translation.params.length > 0) {
      throw new WarehouseError(WarehouseErrorCode.QueryFailed, 'A view needs a SELECT without parameters');
    }
    await this.session(async ({ connection }) => {
      await connection.run(`CREATE OR REPLACE VIEW ${qualifiedName(dataset, view)} AS ${translation.sql}`);
      this.binders.delete(`${dataset}.${view}`);
    });
  }

  async describeTable(dataset: string, table: string): Promise<TableDescription | null> {
    return this.session(({ connection }) =>
      describe(connection, assertIdentifier(dataset, 'dataset'), assertIdentifier(table, 'table')),
    );
  }

  async ping(timeoutMs?: number): Promise<void> {
    await this.session(({ connection }) => connection.run('SELECT 1'), timeoutMs);
  }

  /** One of DuckDB's settings as the database reports it (`memory_limit`: `2.0 GiB`), for diagnostics. */
  async setting(name: string): Promise<string> {
    return this.session(async ({ connection }) => {
      const reader = await connection.runAndReadAll('SELECT current_setting($name)::VARCHAR AS v', { name });
      return String(reader.getRowObjects()[0].v);
    });
  }

  async close(): Promise<void> {
    if (this.pool.isClosed) return;
    await this.pool.close();
    this.instance.closeSync();
  }

  private translate(sql: string, params: QueryParams): { translation: Translation; bound: BoundParams } {
    const translation = translateBigQuerySql(sql, paramCasts(params));
    return { translation, bound: bindParams(params, translation.params) };
  }

  private async session<T>(
    work: (session: Session) => Promise<T>,
    timeoutMs?: number,
    lane?: Lane,
  ): Promise<T> {
    try {
      return await this.pool.use(work, timeoutMs, lane);
    } catch (error) {
      throw toWarehouseError(error);
    }
  }

  private async dropExpired(connection: DuckDBConnection): Promise<void> {
    for (const { dataset, table } of await expiredTables(connection, new Date())) {
      await connection.run(`DROP TABLE IF EXISTS ${qualifiedName(dataset, table)}`);
      this.binders.delete(`${dataset}.${table}`);
    }
  }

  private async bindersFor(
    connection: DuckDBConnection,
    target: { quoted: string; label: string },
  ): Promise<ReadonlyMap<string, ColumnBinder>> {
    const cached = this.binders.get(target.label);
    if (cached) return cached;
    const probe = await connection.runAndReadAll(`SELECT * FROM ${target.quoted} LIMIT 0`);
    const binders = new Map(
      probe.columnNames().map((name, i) => [name, columnBinder(name, probe.columnType(i))]),
    );
    this.binders.set(target.label, binders);
    return binders;
  }
}

const CONFLICT_ATTEMPTS = 8;

/**
 * Runs a statement that writes (on its own connection, committed alone) again when it lost a
 * write-write conflict to a concurrent one, as BigQuery queues concurrent DML on a table: two
 * requests updating one org's row at once must both apply, not answer 500.
 */
async function retryingConflicts<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const cause = error instanceof WarehouseError ? error.cause : error;
      if (attempt >= CONFLICT_ATTEMPTS || !isWriteConflict(cause)) throw error;
      // A short random pause, so that writers that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
