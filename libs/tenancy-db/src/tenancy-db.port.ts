/**
 * The Supabase (Postgres) side: plan limits on `organizations`, quota usage and reservations,
 * idempotency keys, members. One port, three drivers (PGlite, pg, supabase-js) over the same SQL
 * migrations in configs/supabase/migrations. Table operations are the PostgREST subset (equality
 * and `in` filters); anything that needs a transaction is a SQL function called through `rpc`.
 *
 * Every driver returns the same values, the ones PostgREST's JSON gives (so supabase-js needs no
 * re-typing):
 * - timestamptz → ISO string in UTC as Postgres renders it in JSON, `2024-05-01T10:00:00.123+00:00`
 *   (microseconds kept when present); timestamp → `2024-05-01T10:00:00`; date → `2024-05-01`.
 *   Never a Date object: parse with `new Date(s)` where arithmetic is needed.
 * - numeric, bigint (int8) and float → number (exact up to 2^53, like JSON.parse); a non-finite one
 *   (`NaN`, `Infinity`, `-Infinity`, no JSON number) → its text. interval → its text, `1 day 02:03:04`.
 * - json/jsonb → parsed values; arrays → arrays of the same conversions.
 *
 * Values sent: Date → timestamptz, objects and arrays → json text (so collections go in json/jsonb
 * columns and function arguments, not Postgres arrays), `null` in a filter → `IS NULL`, `{ in: [] }`
 * matches nothing, and a null in an `in` list matches no row (SQL's `= ANY`: NULL equals nothing). A key that is absent (or undefined) in an inserted row takes the column default.
 * `update` and `delete` refuse an empty filter, as Supabase does. Failures are TenancyDbError.
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
  /**
   * Calls a SQL function with named arguments; returns its rows (a set-returning or composite
   * result; a scalar comes back as `[{ [fn]: value }]`, `void` as `[]`). Give functions distinct
   * names: arguments are untyped, so overloads are ambiguous. Never return a bare array or a JSON
   * array: PostgREST sends it as it sends a set of rows, so the supabase driver would read its
   * elements as rows; return a one-row table holding it, with two columns or more (PostgREST
   * answers a one-column table as bare values, like a scalar). A set of rows is capped at PostgREST's
   * max-rows (Supabase: 1000), so a set that may be longer is also returned as one row.
   */
  rpc<T extends DbRow = DbRow>(fn: string, args: Record<string, DbValue>): Promise<T[]>;

  /** A trivial round trip, for readiness checks; rejects with Timeout after `timeoutMs` (default 5 s). */
  ping(timeoutMs?: number): Promise<void>;
  /**
   * Ends the statements still waiting for the database (their connections dropped: the server
   * rolls them back), so that their requests answer 503 before a stopping process is killed with
   * them. Where the driver has no such connections (supabase-js, PGlite), absent.
   */
  cutInFlight?(): void;
  close(): Promise<void>;
}

export const TENANCY_DB = Symbol('TENANCY_DB');
