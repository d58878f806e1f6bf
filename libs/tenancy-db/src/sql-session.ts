import type { DbRow } from './tenancy-db.port.js';

/** One connection inside a transaction, as the pg and PGlite drivers expose it. */
export interface SqlSession {
  /** One statement with `$n` parameters; rows already normalised (see value-normalisation.ts). */
  query<T extends DbRow = DbRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** A script of several statements, without parameters (a migration file, test setup). */
  exec(script: string): Promise<void>;
}

/** What the migration runner needs from a SQL driver: a transaction on one connection. */
export interface SqlTransactor {
  /** Commits when `fn` resolves, rolls back when it throws; failures arrive as TenancyDbError. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
}
