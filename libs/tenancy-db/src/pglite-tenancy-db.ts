import { chmod, mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { mapDriverError, tenancyDbError } from './db-error-mapping.js';
import { applyMigrations } from './migrations.js';
import { lockPgliteFolder, type PgliteFolderLockOptions } from './pglite-folder-lock.js';
import { freshClusterSnapshot } from './pglite-snapshot.js';
import { quoteIdentifier, type SqlQuery } from './sql-builder.js';
import type { SqlSession, SqlTransactor } from './sql-session.js';
import { SqlTenancyDb, type RawResult } from './sql-tenancy-db.js';
import type { DbRow, TenancyDb } from './tenancy-db.port.js';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';
import { SCALAR_PARSERS } from './value-normalisation.js';

export interface PgliteTenancyDbOptions {
  /** A folder for the database files (created if missing); in memory when undefined. */
  dataDir?: string;
  /** Run in this schema (created if missing) instead of `public`; for tests. */
  schema?: string;
  /** Defaults to configs/supabase/migrations. */
  migrationsDir?: string;
  /** How the exclusive lock on `dataDir` behaves; see lockPgliteFolder. */
  lock?: PgliteFolderLockOptions;
}

/** The embedded default: real Postgres (18, wasm) in-process, one connection, queries serialised. */
export class PgliteTenancyDb extends SqlTenancyDb implements TenancyDb, SqlTransactor {
  readonly driver = 'pglite' as const;
  private constructor(
    private readonly pg: PGlite,
    private readonly migrationsDir: string | undefined,
    private readonly unlock: (() => Promise<void>) | undefined,
  ) {
    super();
  }

  static async open(options: PgliteTenancyDbOptions = {}): Promise<PgliteTenancyDb> {
    const schema = options.schema === undefined ? undefined : quoteIdentifier(options.schema);
    let pg: PGlite | undefined;
    let unlock: (() => Promise<void>) | undefined;
    // A folder that cannot be opened names itself and the setting that chose it, as DuckDB's file
    // does: "The tenancy database is unavailable" left a start failing on PGLITE_DIR (a file, a
    // folder it may not write) with no word of which setting to fix.
    const unopened = (cause: unknown): TenancyDbError => {
      if (options.dataDir === undefined) return tenancyDbError(TenancyDbErrorCode.Unavailable, cause);
      const setting = options.lock?.setting === undefined ? '' : ` (${options.lock.setting})`;
      return new TenancyDbError(
        TenancyDbErrorCode.Unavailable,
        `The embedded tenancy database ${options.dataDir}${setting} could not be opened`,
        { cause },
      );
    };
    if (options.dataDir !== undefined) {
      try {
        // The tenancy DB (keys' orgs, quotas, members' emails) is the owner's alone: PGlite writes
        // its files world-writable (0666), so the folder is what keeps other local users out.
        await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
        // A folder of another owner the process may write (a mounted volume) keeps its mode.
        await chmod(options.dataDir, 0o700).catch(() => undefined);
      } catch (cause) {
        throw unopened(cause);
      }
      unlock = await lockPgliteFolder(options.dataDir, options.lock);
    }
    try {
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
      await unlock?.().catch(() => undefined);
      throw unopened(cause);
    }
    return new PgliteTenancyDb(pg, options.migrationsDir, unlock);
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

  protected async run<T extends DbRow>(query: SqlQuery): Promise<RawResult<T>> {
    return this.pg.query<T>(query.text, query.values);
  }

  protected async closeConnection(): Promise<void> {
    try {
      await this.pg.close();
    } finally {
      // A lock another process took over meanwhile (reported through onLost) is not ours to remove.
      await this.unlock?.().catch(() => undefined);
    }
  }
}
