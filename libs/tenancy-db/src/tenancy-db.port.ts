/**
 * The Supabase (Postgres) side: plan limits on `organizations`, quota usage and reservations,
 * idempotency keys, members. One port, three drivers (PGlite, pg, supabase-js) over the same SQL
 * migrations in configs/supabase/migrations. Table operations are the PostgREST subset (equality
 * and `in` filters); anything that needs a transaction is a SQL function called through `rpc`.
 */
export type DbValue = string | number | boolean | null | Date | DbValue[] | { [k: string]: DbValue };
export type DbRow = Record<string, unknown>;

/** column → value (equality) or { in: [...] } (membership). */
export type Filter = Record<string, DbValue | { in: DbValue[] }>;

export interface SelectOptions {
  columns?: string[];
  orderBy?: { column: string; ascending?: boolean }[];
  limit?: number;
  offset?: number;
}

export interface TenancyDb {
  readonly driver: 'pglite' | 'postgres' | 'supabase';

  /** Applies pending migrations (not for supabase, whose own tooling applies them); returns their names. */
  migrate(): Promise<string[]>;

  select<T extends DbRow = DbRow>(table: string, filter?: Filter, options?: SelectOptions): Promise<T[]>;
  insert<T extends DbRow = DbRow>(table: string, rows: DbRow[]): Promise<T[]>;
  /** Insert or update on the conflict columns. */
  upsert<T extends DbRow = DbRow>(table: string, rows: DbRow[], onConflict: string[]): Promise<T[]>;
  update<T extends DbRow = DbRow>(table: string, filter: Filter, patch: DbRow): Promise<T[]>;
  delete<T extends DbRow = DbRow>(table: string, filter: Filter): Promise<T[]>;
  /** Calls a SQL function with named arguments; returns its rows (a set-returning or composite result). */
  rpc<T extends DbRow = DbRow>(fn: string, args: Record<string, DbValue>): Promise<T[]>;

  /** A trivial round trip, for readiness checks. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const TENANCY_DB = Symbol('TENANCY_DB');
