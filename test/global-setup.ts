import pg from 'pg';
import { createSupabaseRoles } from './support/postgrest-session.js';

/**
 * Once per test run, before any file: the machine's PostgreSQL (when TEST_DATABASE_URL is set) gets
 * the roles every Supabase project has before its first migration. The suites that serve a schema
 * through the local PostgREST migrate it first, and the migrations grant their tables only to roles
 * that exist then: on a fresh cluster, the first such suite of a run was refused every table.
 */
export default async function setup(): Promise<void> {
  const connectionString = process.env.TEST_DATABASE_URL;
  if (!connectionString) return;
  const pool = new pg.Pool({ connectionString, max: 1 });
  try {
    await createSupabaseRoles(pool);
  } finally {
    await pool.end();
  }
}
