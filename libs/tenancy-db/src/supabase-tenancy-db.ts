import { createClient, type SupabaseClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import ws from 'ws';
import { codeForSqlState, constraintFromMessage, tenancyDbError } from './db-error-mapping.js';
import { inList, splitLongInList, urlValue } from './postgrest-filter.js';
import { assertIdentifier, assertSendable, isInFilter, rowColumns } from './sql-builder.js';
import type { DbRow, DbValue, Filter, SelectOptions, TenancyDb } from './tenancy-db.port.js';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

export interface SupabaseTenancyDbOptions {
  /** The project URL (`https://<ref>.supabase.co`), without `/rest/v1`. */
  url: string;
  serviceRoleKey: string;
  /** An exposed schema; default `public`. */
  schema?: string;
  /**
   * Aborts a request not answered in full (its body included) after this long (TenancyDbError
   * Timeout); default 15 s. Only the HTTP request is abandoned: PostgREST still runs the call and
   * may commit it, so a Timeout here means the outcome is unknown (a reservation, a lease or a
   * claim may stand), unlike the pg driver's statement_timeout, which rolls back. A retry then finds what the lost call did: a reservation
   * replayed by its run id, an org lease held until it expires, an idempotency claim in flight
   * until its lock lapses.
   */
  requestTimeoutMs?: number;
  /** The table `ping` reads (no rows); default `organizations`, since PostgREST has no bare round trip. */
  pingTable?: string;
}

/**
 * The part of postgrest-js's builders this driver chains. Without generated database types their
 * generics describe nothing useful, and instantiating them for dynamic names exhausts tsc.
 */
interface Query extends PromiseLike<PostgrestResult> {
  eq(column: string, value: string): Query;
  filter(column: string, operator: string, value: string): Query;
  limit(count: number): Query;
  is(column: string, value: null): Query;
  order(column: string, options: { ascending: boolean }): Query;
  range(from: number, to: number): Query;
  select(columns?: string): Query;
  retry(enabled: boolean): Query;
  abortSignal(signal: AbortSignal): Query;
}

interface Table {
  select(columns: string, options?: { count: 'exact' }): Query;
  insert(rows: DbRow[], options: { defaultToNull: boolean }): Query;
  upsert(rows: DbRow[], options: { onConflict: string; defaultToNull: boolean }): Query;
  update(patch: DbRow): Query;
  delete(): Query;
}

type WebSocketTransport = NonNullable<NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']>;

interface PostgrestFailure {
  message: string;
  code?: string;
}

interface PostgrestResult {
  data: unknown;
  error: PostgrestFailure | null;
  status: number;
  /** With `count: 'exact'`: how many rows match, whatever the page returned. */
  count?: number | null;
}

/**
 * Rows asked for at a time. PostgREST returns at most its max-rows (Supabase: 1000) without saying
 * so, so a select pages until it has as many rows as match (or as it asked for).
 */
const PAGE_ROWS = 1000;
function applyFilter(query: Query, filter: Filter): Query {
  let q = query;
  for (const [column, value] of Object.entries(filter)) {
    assertIdentifier(column);
    if (value === undefined) {
      throw new TenancyDbError(TenancyDbErrorCode.QueryFailed, `Filter value for "${column}" is undefined.`);
    }
    if (value === null) q = q.is(column, null);
    else if (isInFilter(value)) q = q.filter(column, 'in', inList(value.in));
    else q = q.eq(column, urlValue(value, column));
  }
  return q;
}

function ordered(query: Query, options: SelectOptions): Query {
  let q = query;
  for (const o of options.orderBy ?? [])
    q = q.order(assertIdentifier(o.column), { ascending: o.ascending !== false });
  return q;
}

function requireFilter(filter: Filter, operation: string): void {
  if (Object.keys(filter).length === 0) {
    throw new TenancyDbError(TenancyDbErrorCode.QueryFailed, `Refusing ${operation} without a filter.`);
  }
}

/**
 * Drops undefined members so supabase-js does not list them in `columns` (they take defaults), and
 * refuses values its JSON would turn into null (assertSendable).
 */
function definedRow(row: DbRow): DbRow {
  const columns = rowColumns([row]);
  for (const c of columns) assertSendable(row[c], c);
  return Object.fromEntries(columns.map((c) => [c, row[c]]));
}

/**
 * Statuses of the platform in front of PostgREST (Supabase's gateway, Cloudflare), whose answer is
 * no SQLSTATE: nothing a different query would fix. Unavailable when the call cannot have run: a
 * rejected service key (401, 403), a restricted (402), rate-limited (429) or paused project (540),
 * an origin down or unreachable (502, 503, 520-523). Timeout when it may have run and its outcome
 * is unknown: a gateway that stopped waiting for an answer (504, Cloudflare's 524, Supabase's 544).
 * https://supabase.com/docs/guides/platform/http-status-codes
 */
const PLATFORM_STATUSES: Readonly<Record<number, TenancyDbErrorCode>> = {
  ...Object.fromEntries(
    [401, 402, 403, 429, 502, 503, 520, 521, 522, 523, 540].map((s) => [s, TenancyDbErrorCode.Unavailable]),
  ),
  ...Object.fromEntries([504, 524, 544].map((s) => [s, TenancyDbErrorCode.Timeout])),
};

/**
 * PostgREST's own connection errors: it could not reach the database (PGRST000, 503), lost the
 * connection (PGRST001, 503), could not build its schema cache (PGRST002, 503) or gave up waiting
 * for a pool connection (PGRST003, 504). The statement never ran, so each is Unavailable (safe to
 * retry), as the pg driver says of its own pool timeout; a 504 from the gateway is a Timeout.
 * https://docs.postgrest.org/en/stable/references/errors.html
 */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set(['PGRST000', 'PGRST001', 'PGRST002', 'PGRST003']);

function mapFailure(error: PostgrestFailure, status: number): TenancyDbError {
  // status 0: the request never got an HTTP answer (aborted by the timeout, or no server).
  if (status === 0) {
    const aborted = /abort/i.test(error.message);
    return tenancyDbError(aborted ? TenancyDbErrorCode.Timeout : TenancyDbErrorCode.Unavailable, error);
  }
  const sqlState = error.code;
  if (sqlState !== undefined && /^[0-9A-Z]{5}$/.test(sqlState)) {
    const constraint = constraintFromMessage(error.message);
    return tenancyDbError(codeForSqlState(sqlState), error, { sqlState, constraint });
  }
  if (sqlState !== undefined && CONNECTION_ERRORS.has(sqlState))
    return tenancyDbError(TenancyDbErrorCode.Unavailable, error);
  const outage = PLATFORM_STATUSES[status];
  if (outage) return tenancyDbError(outage, error);
  return tenancyDbError(TenancyDbErrorCode.QueryFailed, error);
}

function unwrap<T>(result: PostgrestResult): T[] {
  if (result.error) throw mapFailure(result.error, result.status);
  return (result.data ?? []) as T[];
}

/**
 * Supabase over its REST API (PostgREST) with the service-role key. Types come back as PostgREST
 * renders them, which is the shape the SQL drivers imitate (value-normalisation.ts); the
 * database's TimeZone must be UTC (Supabase's default) for timestamps to match exactly.
 * Migrations are applied by Supabase's own tooling (configs/supabase/README.md), so `migrate`
 * does nothing here.
 */
export class SupabaseTenancyDb implements TenancyDb {
  readonly driver = 'supabase' as const;

  private constructor(
    private readonly client: SupabaseClient,
    private readonly pingTable: string,
    private readonly requestTimeoutMs: number,
  ) {}

  static async open(options: SupabaseTenancyDbOptions): Promise<SupabaseTenancyDb> {
    const schema = assertIdentifier(options.schema ?? 'public');
    const client = createClient(options.url, options.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // Node 20 has no global WebSocket and supabase-js 2.109 refuses to construct without one.
      // ws's class types its event handlers more narrowly than supabase's structural WebSocket type.
      realtime: { transport: ws as unknown as WebSocketTransport },
      // No `timeout` here: postgrest-js's stops counting once the headers arrive, so an answer that
      // stalled mid-body (a network gone silent) held its request for undici's 5 minutes. Each
      // request gets a signal of its own instead (bounded), which also cuts the body's read.
      db: { schema },
    }) as SupabaseClient;
    return new SupabaseTenancyDb(
      client,
      assertIdentifier(options.pingTable ?? 'organizations'),
      options.requestTimeoutMs ?? 15_000,
    );
  }

  /** Supabase applies configs/supabase/migrations with `supabase db push`; nothing to do or check. */
  async migrate(): Promise<string[]> {
    return [];
  }

  async select<T extends DbRow = DbRow>(
    table: string,
    filter: Filter = {},
    options: SelectOptions = {},
  ): Promise<T[]> {
    const columns = options.columns?.length ? options.columns.map(assertIdentifier).join(',') : '*';
    const { limit, offset } = options;
    for (const [what, n] of [
      ['limit', limit],
      ['offset', offset],
    ] as const) {
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
        throw new TenancyDbError(TenancyDbErrorCode.QueryFailed, `${what} must be a non-negative integer.`);
      }
    }
    const split = splitLongInList(filter);
    if (!split) return this.selectPaged<T>(table, columns, filter, options);
    // Each part is a disjoint set of values, so the parts' rows add up to the whole read. An order,
    // a limit or an offset would apply per part: refused rather than answered wrongly.
    if (limit !== undefined || offset !== undefined || options.orderBy?.length) {
      throw new TenancyDbError(
        TenancyDbErrorCode.QueryFailed,
        'An `in` list this long cannot be read with an order, a limit or an offset over PostgREST.',
      );
    }
    const rows: T[] = [];
    for (const part of split) rows.push(...(await this.selectPaged<T>(table, columns, part, options)));
    return rows;
  }

  /**
   * The rows from `offset` (up to `limit`, else every one), a page at a time, each page with the
   * count of matching rows, until the rows add up to it: one request when the server returned them
   * all. Pages are offsets in `orderBy` order, so a set that changes while it is read past a page
   * may shift a row from one page to the next (read such sets through a SQL function instead).
   */
  private async selectPaged<T extends DbRow>(
    table: string,
    columns: string,
    filter: Filter,
    { offset = 0, limit = Number.POSITIVE_INFINITY, ...options }: SelectOptions,
  ): Promise<T[]> {
    const rows: T[] = [];
    for (;;) {
      const from = offset + rows.length;
      const size = Math.min(PAGE_ROWS, limit - rows.length);
      const q = ordered(applyFilter(this.table(table).select(columns, { count: 'exact' }), filter), options);
      // postgrest-js retries a GET (a select) three times, 1, 2 and 4 s apart (or Retry-After's
      // seconds, unbounded), each with its own timeout: a request met a Supabase outage with 7 s
      // to minutes of silence instead of its 503. The API's caller retries, told when.
      const result = await this.bounded(q.retry(false).range(from, from + size - 1));
      // PostgREST refuses an offset past the count (416, PGRST103): the set shrank while paging.
      if (result.status === 416) return rows;
      const page = unwrap<T>(result);
      rows.push(...page);
      const matching = result.count ?? from + page.length;
      if (page.length === 0 || rows.length >= limit || offset + rows.length >= matching) return rows;
    }
  }

  async insert<T extends DbRow = DbRow>(table: string, rows: DbRow[]): Promise<T[]> {
    if (rows.length === 0) return [];
    const q = this.table(table).insert(rows.map(definedRow), { defaultToNull: false }).select();
    return unwrap<T>(await this.bounded(q));
  }

  async upsert<T extends DbRow = DbRow>(table: string, rows: DbRow[], onConflict: string[]): Promise<T[]> {
    if (rows.length === 0) return [];
    if (onConflict.length === 0) {
      throw new TenancyDbError(TenancyDbErrorCode.QueryFailed, 'Upsert needs at least one conflict column.');
    }
    const q = this.table(table)
      .upsert(rows.map(definedRow), {
        onConflict: onConflict.map(assertIdentifier).join(','),
        defaultToNull: false,
      })
      .select();
    return unwrap<T>(await this.bounded(q));
  }

  async update<T extends DbRow = DbRow>(table: string, filter: Filter, patch: DbRow): Promise<T[]> {
    requireFilter(filter, 'an update');
    const body = definedRow(patch);
    if (Object.keys(body).length === 0) {
      throw new TenancyDbError(TenancyDbErrorCode.QueryFailed, 'An update needs at least one column.');
    }
    return this.writeByParts<T>(filter, (part) => applyFilter(this.table(table).update(body), part).select());
  }

  async delete<T extends DbRow = DbRow>(table: string, filter: Filter): Promise<T[]> {
    requireFilter(filter, 'a delete');
    return this.writeByParts<T>(filter, (part) => applyFilter(this.table(table).delete(), part).select());
  }

  /**
   * One request per part of a filter whose `in` list the gateway would refuse in one URL (414),
   * as select reads it: the parts match disjoint rows, whose returned rows add up to the whole.
   * They are separate requests, so one failing leaves the parts before it written; an update or
   * delete by value is idempotent, and done again finishes it.
   */
  private async writeByParts<T>(filter: Filter, request: (part: Filter) => Query): Promise<T[]> {
    const rows: T[] = [];
    for (const part of splitLongInList(filter) ?? [filter])
      rows.push(...unwrap<T>(await this.bounded(request(part))));
    return rows;
  }

  /**
   * PostgREST answers a set or table function with an array, a composite with an object, a scalar
   * with the bare value and `void` with nothing; `SELECT * FROM fn(...)` gives rows in every case,
   * a scalar in a column named after the function. The result is reshaped to match.
   */
  async rpc<T extends DbRow = DbRow>(fn: string, args: Record<string, DbValue>): Promise<T[]> {
    const body = definedRow(args as DbRow);
    const call = this.client.rpc(assertIdentifier(fn), body) as unknown as Query;
    const result = await this.bounded(call);
    if (result.error) throw mapFailure(result.error, result.status);
    const data = result.data;
    // 204: a void function. A function whose one value is NULL answers `null` with a 200.
    if (data === null || data === undefined) return result.status === 204 ? [] : [{ [fn]: null } as T];
    const asRow = (v: unknown): DbRow =>
      typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as DbRow) : { [fn]: v };
    return (Array.isArray(data) ? data.map(asRow) : [asRow(data)]) as T[];
  }

  async ping(timeoutMs = 5_000): Promise<void> {
    const q = this.table(this.pingTable)
      .select('*')
      .limit(0)
      .retry(false)
      .abortSignal(AbortSignal.timeout(timeoutMs));
    unwrap(await q);
  }

  /** The request, aborted (Timeout) if it has not been answered in full after requestTimeoutMs. */
  private bounded(query: Query): PromiseLike<PostgrestResult> {
    return query.abortSignal(AbortSignal.timeout(this.requestTimeoutMs));
  }

  private table(name: string): Table {
    return this.client.from(assertIdentifier(name)) as unknown as Table;
  }

  async close(): Promise<void> {
    // Nothing here opens a realtime channel, and removeAllChannels would only disconnect a socket
    // never connected: realtime-js arms a 10 s timer for that (ref'd, never cleared), which held
    // the process of a closed instance that long.
    if (this.client.getChannels().length > 0) await this.client.removeAllChannels();
  }
}
