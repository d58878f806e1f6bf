import type pg from 'pg';
import { fail, HttpError, qi } from './postgrest-query.js';

/** The role PostgREST switches to for the service key (its JWT's `role` claim on Supabase). */
export const SERVICE_ROLE = 'service_role';

/**
 * Supabase's API roles as every project has them before its first migration: the browser's anon and
 * authenticated, and the service role (no login, RLS bypassed). Since 30 October 2026 no project
 * grants its new tables in `public` to them by default
 * (https://supabase.com/changelog/45329-breaking-change-tables-not-exposed-to-data-and-graphql-api-automatically),
 * so a table the migrations do not grant is "permission denied" (42501) over REST. The migrations
 * grant only to roles that exist when they run (0018), so the roles must come first: made once per
 * cluster by the test run's global setup, before any suite migrates a schema.
 */
export async function createSupabaseRoles(pool: pg.Pool): Promise<void> {
  await pool.query(`DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', '${SERVICE_ROLE}'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    -- Another run made it at the same moment.
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
  IF NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    BEGIN
      ALTER ROLE ${SERVICE_ROLE} BYPASSRLS;
    -- "tuple concurrently updated": another run altered it at the same moment.
    EXCEPTION WHEN internal_error THEN NULL;
    END;
  END IF;
END
$$`);
}

/** The exposed schema, usable by the service role as PostgREST needs it. */
export async function exposeSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`GRANT USAGE ON SCHEMA ${qi(schema)} TO ${SERVICE_ROLE}`);
}

/**
 * A connection of the pool for a request. One that cannot be had is PostgREST's PGRST000 (503),
 * whatever the reason (refused, no such database, too many clients: hasql's ConnectionUsageError,
 * its details the driver's text), never the SQLSTATE mapping of an error a query met.
 * https://docs.postgrest.org/en/stable/references/errors.html
 */
async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw fail(503, 'PGRST000', 'Database connection error. Retrying the connection.', text);
  }
}

/** A catalog query (PostgREST's schema cache), on a connection as `connect` gets it. */
export async function catalogQuery<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  values: unknown[],
): Promise<R[]> {
  const client = await connect(pool);
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    client.release();
  }
}

/** The primary key columns of `target` (a table). */
export async function primaryKey(pool: pg.Pool, target: string): Promise<string[]> {
  const rows = await catalogQuery<{ name: string }>(
    pool,
    `SELECT a.attname AS name FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [target],
  );
  return rows.map((r) => r.name);
}

/**
 * One request's transaction as PostgREST runs it: as the request's role (SET LOCAL ROLE), read-only
 * for a GET or a STABLE function, committed unless it failed.
 */
export async function asRole<T>(
  pool: pg.Pool,
  role: string,
  readOnly: boolean,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await connect(pool);
  try {
    await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    await client.query(`SET LOCAL ROLE ${qi(role)}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** PostgREST's status for a SQLSTATE (Error.hs, mapSQLtoHTTP), for the ones these tests meet. */
function statusFor(sqlState: string): number {
  if (sqlState === '23505' || sqlState === '23503') return 409;
  if (sqlState === '42P01' || sqlState === '42883') return 404;
  // insufficient_privilege: 403 for a request with a JWT (401 without one).
  if (sqlState === '42501') return 403;
  // The database going away: connection exceptions, insufficient resources (but a config limit),
  // an administrator's shutdown; any other operator intervention (a statement timeout) is 500.
  if (sqlState.startsWith('08') || sqlState === '57P01') return 503;
  if (sqlState.startsWith('53')) return sqlState === '53400' ? 500 : 503;
  if (sqlState.startsWith('57')) return 500;
  return 400;
}

/** pg's errors for a connection lost under a query (no SQLSTATE: the server never answered). */
const CONNECTION_LOST = /connection terminated|not queryable|connection error/i;

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return new HttpError(statusFor(e.code), {
      code: e.code,
      message: String(e.message),
      details: typeof e.detail === 'string' ? e.detail : null,
      hint: typeof e.hint === 'string' ? e.hint : null,
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  // hasql's ClientError: PGRST001, 503, as a connection that could not be had is PGRST000 (connect).
  if (CONNECTION_LOST.test(text))
    return fail(503, 'PGRST001', 'Database client error. Retrying the connection.', text);
  // Anything else is this stand-in's own failure: PostgREST's internal error.
  return fail(500, 'PGRSTX00', text);
}
