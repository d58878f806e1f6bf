import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createSupabaseRoles } from './support/postgrest-session.js';

/**
 * Once per test run, before any file: a temp folder of the run's own (below), and on the machine's
 * PostgreSQL (when TEST_DATABASE_URL is set) the roles every Supabase project has before its first
 * migration. The suites that serve a schema through the local PostgREST migrate it first, and the
 * migrations grant their tables only to roles that exist then: on a fresh cluster, the first such
 * suite of a run was refused every table.
 */
export default async function setup(): Promise<() => void> {
  // The run's temp folder, which the test processes inherit (TEST_TMP_DIR) and which goes when the
  // run ends, whatever a test left in it: folders made per test were left behind by the hundred.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-run-'));
  process.env.TEST_TMP_DIR = tmp;
  const teardown = () => fs.rmSync(tmp, { recursive: true, force: true });
  const connectionString = process.env.TEST_DATABASE_URL;
  if (!connectionString) return teardown;
  const pool = new pg.Pool({ connectionString, max: 1 });
  try {
    await createSupabaseRoles(pool);
  } finally {
    await pool.end();
  }
  return teardown;
}
