import pg from 'pg';
import { parse as parsePgUrl } from 'pg-connection-string';
import { connectionLost, mapDriverError } from './db-error-mapping.js';
import { applyMigrations } from './migrations.js';
import { assertIdentifier, quoteIdentifier, type SqlQuery } from './sql-builder.js';
import type { SqlSession, SqlTransactor } from './sql-session.js';
import { SqlTenancyDb, type RawResult } from './sql-tenancy-db.js';
import type { DbRow, TenancyDb } from './tenancy-db.port.js';
import { MAX_TIMER_MS } from '#platform';
import { ARRAY_ELEMENT_OIDS, SCALAR_PARSERS } from './value-normalisation.js';

export interface PgTenancyDbOptions {
  /** Its `options=` parameter, if any, is sent before the session settings below (which win). */
  connectionString: string;
  /** search_path for every connection (created if missing); for tests. Defaults to the server's. */
  schema?: string;
  /** Pool size; default 10. */
  max?: number;
  /**
   * Prepare each SQL function call once per connection (default true): the server then skips
   * parsing and planning it on every call. Off behind a pooler in transaction mode.
   */
  preparedStatements?: boolean;
  /**
   * The bound on every statement; default 30 s. The server cancels a statement past it
   * (statement_timeout: TenancyDbError(Timeout), rolled back) and ends a transaction left idle that
   * long (its client is gone). A server still silent a second later is taken for unreachable (a
   * network that went silent with the connection open): the statement fails with
   * TenancyDbError(Unavailable), its outcome unknown, and its connection is destroyed.
   */
  queryTimeoutMs?: number;
  /** How long to wait for a connection before TenancyDbError(Unavailable); default 5 s. */
  connectTimeoutMs?: number;
  /** Defaults to configs/supabase/migrations. */
  migrationsDir?: string;
}

const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** Past the server's own cancel: if that has not arrived either, the server is not listening. */
const SERVER_SILENT_AFTER_MS = 1_000;
/** At close, how long queries in flight may finish before their connections are cut. */
const CLOSE_WAIT_MS = 1_000;

/**
 * Errors that leave a connection's prepared statements unusable, each of its later calls failing
 * the same way: 0A000 "cached plan must not change result type" (a function redefined with another
 * result), 26000 a prepared statement the session no longer has. Such a connection is dropped.
 */
const STALE_SESSION_STATES = new Set(['0A000', '26000']);

// Typed as number: pg-types' TypeId enum lists no array types.
const TEXT_ARRAY_OID: number = 1009;

type Nested<T> = T | null | Nested<T>[];

function mapNested<T>(value: Nested<string>, parse: (text: string) => T): Nested<T> {
  if (value === null) return null;
  return Array.isArray(value) ? value.map((v) => mapNested(v, parse)) : parse(value);
}

/** Parsers scoped to this pool, so other pg users in the process keep pg's defaults. */
function typeOverrides(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  for (const [oid, parse] of Object.entries(SCALAR_PARSERS)) types.setTypeParser(Number(oid), parse);
  const parseTextArray = pg.types.getTypeParser(TEXT_ARRAY_OID) as (text: string) => Nested<string>;
  for (const [arrayOid, elementOid] of Object.entries(ARRAY_ELEMENT_OIDS)) {
    const parseElement = SCALAR_PARSERS[elementOid];
    types.setTypeParser(Number(arrayOid), (text: string) => mapNested(parseTextArray(text), parseElement));
  }
  return types;
}

/**
 * Settings of every session. The timeouts go here too, rather than as startup parameters of their
 * own, which a pooler may refuse.
 */
function sessionOptions(schema: string | undefined, queryTimeoutMs: number): string {
  const settings = [
    '-c TimeZone=UTC',
    '-c DateStyle=ISO,MDY',
    `-c statement_timeout=${queryTimeoutMs}`,
    // A client destroyed mid-transaction on a silent network cannot say so: its locks (the
    // migrations' advisory lock) would stay held until the server's TCP keepalive gave up on it.
    `-c idle_in_transaction_session_timeout=${queryTimeoutMs}`,
  ];
  if (schema !== undefined) settings.push(`-c search_path=${schema}`);
  return settings.join(' ');
}

/** `onLost` hears of a statement that left the connection unusable, even if `fn` catches its error. */
function clientSession(client: pg.PoolClient, onLost: () => void): SqlSession {
  const send = async <R extends DbRow>(config: pg.QueryConfig): Promise<R[]> => {
    try {
      return (await client.query<R>(config)).rows;
    } catch (err) {
      if (connectionLost(err)) onLost();
      throw err;
    }
  };
  return {
    query: <R extends DbRow = DbRow>(text: string, values?: unknown[]) => send<R>({ text, values }),
    exec: async (script) => {
      // Without values pg uses the simple protocol, which accepts several statements.
      await send({ text: script });
    },
  };
}

/** A PostgreSQL server (Supabase's database directly, or any PostgreSQL 15+) through a pg pool. */
export class PgTenancyDb extends SqlTenancyDb implements TenancyDb, SqlTransactor {
  readonly driver = 'postgres' as const;
  /** Statement name by text, for the reusable queries (a bounded set: function and argument names). */
  private readonly statementNames = new Map<string, string>();
  /** Clients taken from the pool and not yet given back: each keeps the pool's end() waiting. */
  private readonly checkedOut = new Set<pg.PoolClient>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly migrationsDir: string | undefined,
    private readonly preparedStatements: boolean,
  ) {
    super();
    pool.on('acquire', (client) => this.checkedOut.add(client));
    pool.on('release', (_err, client) => this.checkedOut.delete(client));
  }

  /** Connects only when a schema has to be created; otherwise at the first query. */
  static async open(options: PgTenancyDbOptions): Promise<PgTenancyDb> {
    const schema = options.schema === undefined ? undefined : assertIdentifier(options.schema);
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    // pg reads a connection string over every other setting: an `options=` in it (application_name,
    // a provider's endpoint) replaced the session settings, leaving statements without a timeout and
    // sessions in the server's time zone. The URL's settings are read here, and its options kept
    // before the session's, whose `-c` settings then win.
    const { options: urlOptions, ...fromUrl } = parsePgUrl(options.connectionString);
    const pool = new pg.Pool({
      // pg then fails the query with "Query read timeout" (mapped to Unavailable); run() and
      // transaction() hand such a client back with the error, so the pool destroys it.
      query_timeout: Math.min(queryTimeoutMs + SERVER_SILENT_AFTER_MS, MAX_TIMER_MS),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      types: typeOverrides(),
      // What pg does with a connection string: its settings over the ones above.
      ...(fromUrl as pg.PoolConfig),
      max: options.max ?? 10,
      options: [urlOptions, sessionOptions(schema, queryTimeoutMs)].filter(Boolean).join(' '),
    });
    // An idle connection dropped by the server emits here; unhandled it would crash the process.
    // The next query reports the outage as TenancyDbError(Unavailable).
    pool.on('error', () => undefined);
    const db = new PgTenancyDb(pool, options.migrationsDir, options.preparedStatements ?? true);
    if (schema !== undefined) {
      try {
        await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      } catch (err) {
        const mapped = mapDriverError(err);
        // Two instances creating the same schema at once: the loser sees a duplicate; both can go on.
        if (mapped.sqlState !== '23505' && mapped.sqlState !== '42P06') {
          await db.close();
          throw mapped;
        }
      }
    }
    return db;
  }

  migrate(): Promise<string[]> {
    return applyMigrations(this, this.migrationsDir);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapDriverError(err);
    }
    // A lost connection is not rolled back: ROLLBACK would wait behind the unanswered statement.
    // Destroying it ends the session, and the server rolls back (idle_in_transaction_session_timeout
    // at the latest).
    let discard = false;
    const lose = () => {
      discard = true;
    };
    // Between statements a checked-out client reports a broken socket here, not to a query.
    client.on('error', lose);
    const session = clientSession(client, lose);
    try {
      await session.exec('BEGIN');
      const result = await fn(session);
      await session.exec('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot roll back is in an unknown state: drop it instead of reusing it.
      if (!discard) await client.query('ROLLBACK').catch(lose);
      throw mapDriverError(err);
    } finally {
      client.removeListener('error', lose);
      client.release(discard);
    }
  }

  /**
   * Not pool.query, which hands its client back with any error and so closes the connection of
   * every statement the server refused (a unique violation, a check, a function's exception): the
   * next request then paid a new connection (TLS and SCRAM to Supabase) and prepared its calls
   * again. Here only a connection that cannot serve the next statement is dropped.
   */
  protected async run<T extends DbRow>(query: SqlQuery): Promise<RawResult<T>> {
    const name = query.reusable && this.preparedStatements ? this.statementName(query.text) : undefined;
    const client = await this.pool.connect();
    let unusable: Error | undefined;
    // A socket failing with no statement in flight reports here; unheard, it would end the process.
    const lose = (err: Error) => {
      unusable = err;
    };
    client.on('error', lose);
    try {
      return await client.query<T>({ text: query.text, values: query.values, name });
    } catch (err) {
      if (connectionLost(err) || STALE_SESSION_STATES.has(mapDriverError(err).sqlState ?? '')) {
        unusable = err as Error;
      }
      throw err;
    } finally {
      client.removeListener('error', lose);
      client.release(unusable ?? false);
    }
  }

  private statementName(text: string): string {
    let name = this.statementNames.get(text);
    if (name === undefined) {
      name = `tenancy_${this.statementNames.size}`;
      this.statementNames.set(text, name);
    }
    return name;
  }

  /** Each client with a statement in flight is ended: pg destroys its socket, the statement fails as Unavailable. */
  cutInFlight(): void {
    for (const client of this.checkedOut) void client.end();
  }

  /**
   * end() waits for every checked-out client; one whose query went unanswered on a silent network
   * would hold it until the query timeout, past the shutdown grace. Ending such a client destroys
   * its socket (pg does so for a client with a query in flight), and its query fails as Unavailable.
   */
  protected async closeConnection(): Promise<void> {
    const ended = this.pool.end();
    const cut = setTimeout(() => this.cutInFlight(), CLOSE_WAIT_MS);
    try {
      await ended;
    } finally {
      clearTimeout(cut);
    }
  }
}
