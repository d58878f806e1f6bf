import type pg from 'pg';
import { fail, HttpError, qi } from './postgrest-query.js';

/** The role PostgREST switches to for the service key (its JWT's `role` claim on Supabase). */
export const SERVICE_ROLE = 'service_role';

/**
 * Supabase's service role as a project has it: no login, RLS bypassed, USAGE on the exposed
 * schema, and on tables only what they were granted. Since 30 October 2026 no project grants its
 * new tables in `public` to anon, authenticated and service_role by default
 * (https://supabase.com/changelog/45329-breaking-change-tables-not-exposed-to-data-and-graphql-api-automatically),
 * so a table the migrations do not grant is "permission denied" (42501) over REST. The role is
 * the cluster's: made once on a shared server, by whichever run gets there first.
 */
export async function prepareServiceRole(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DO $$
BEGIN
  BEGIN
    CREATE ROLE ${SERVICE_ROLE} NOLOGIN BYPASSRLS;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  IF NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = '${SERVICE_ROLE}') THEN
    BEGIN
      ALTER ROLE ${SERVICE_ROLE} BYPASSRLS;
    -- "tuple concurrently updated": another run altered it at the same moment.
    EXCEPTION WHEN internal_error THEN NULL;
    END;
  END IF;
END
$$`);
  await pool.query(`GRANT USAGE ON SCHEMA ${qi(schema)} TO ${SERVICE_ROLE}`);
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
  const client = await pool.connect();
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

/** PostgREST's status for a SQLSTATE (Error.hs), for the ones these tests meet. */
function statusFor(sqlState: string): number {
  if (sqlState === '23505' || sqlState === '23503') return 409;
  if (sqlState === '42P01' || sqlState === '42883') return 404;
  // insufficient_privilege: 403 for a request with a JWT (401 without one).
  if (sqlState === '42501') return 403;
  if (sqlState === '57014') return 500;
  if (sqlState.startsWith('08')) return 503;
  return 400;
}

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
  return fail(500, 'PGRST000', err instanceof Error ? err.message : String(err));
}
