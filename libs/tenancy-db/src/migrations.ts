import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { configsDir } from '#platform';
import type { SqlSession, SqlTransactor } from './sql-session.js';
import { TenancyDbError, TenancyDbErrorCode } from './tenancy-db.errors.js';

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function defaultMigrationsDir(): string {
  return path.join(configsDir(), 'supabase', 'migrations');
}

/** sha256 of the file with line endings normalised, so a CRLF checkout is not a "changed" file. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** The `.sql` files of `dir` in name order (names start with a zero-padded sequence number). */
export async function readMigrations(dir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  } catch (cause) {
    throw new TenancyDbError(TenancyDbErrorCode.MigrationFailed, 'The migrations folder cannot be read.', {
      cause,
    });
  }
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

/**
 * The runner's record of applied files. Not `schema_migrations`: on the Supabase project this API
 * takes over, the dashboard's own runner keeps a table of that name (id, filename, checksum, ...),
 * and this runner may be pointed there (TENANCY_DB_DRIVER=postgres).
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS api_schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * The record was called `schema_migrations` before: a database migrated then has its rows there,
 * taken over once, when the new record is still empty and that table is this runner's (a `name`
 * column, no `filename`: the dashboard's has). The old table stays, for a build that reads it.
 */
const TAKE_OVER_EARLIER_RECORD = `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM api_schema_migrations)
     AND EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = current_schema()
                 AND c.table_name = 'schema_migrations' AND c.column_name = 'name')
     AND NOT EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = current_schema()
                     AND c.table_name = 'schema_migrations' AND c.column_name = 'filename') THEN
    EXECUTE 'INSERT INTO api_schema_migrations (name, checksum, applied_at)
             SELECT name, checksum, applied_at FROM schema_migrations';
  END IF;
END
$$`;

/**
 * Supabase's CLI (`supabase db push`, configs/supabase/README.md) records the files it applied in
 * supabase_migrations.schema_migrations: `version`, the number a name starts with, and `name`, the
 * rest without `.sql`. It applies them to `public`. A runner later pointed at that database
 * (TENANCY_DB_DRIVER=postgres with the Supabase database URL) ran every file again and stopped at
 * the first table one of them had made (0002's idempotency_keys), so the API did not start. Its
 * record, still empty, takes those files as applied, once; the later files run as usual.
 */
async function takeOverCliRecord(session: SqlSession, files: MigrationFile[]): Promise<void> {
  const [state] = await session.query<{ adopt: boolean }>(
    // From the catalog, not to_regclass: that fails with 42501 for a role without USAGE on the
    // CLI's schema (a least-privilege DATABASE_URL), and the API could not start. A record this
    // role may not read is not taken over: its files then run as on a database of their own.
    `SELECT NOT EXISTS (SELECT 1 FROM api_schema_migrations) AND current_schema() = 'public'
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = 'supabase_migrations' AND c.relname = 'schema_migrations'
                          AND has_schema_privilege(n.oid, 'USAGE')
                          AND has_table_privilege(c.oid, 'SELECT')) AS adopt`,
  );
  if (!state?.adopt) return;
  const rows = await session.query<{ version: string; name: string | null }>(
    `SELECT m.version, to_jsonb(m) ->> 'name' AS name FROM supabase_migrations.schema_migrations m`,
  );
  const recorded = new Set(rows.map((r) => `${r.version}_${r.name ?? ''}.sql`));
  for (const file of files.filter((f) => recorded.has(f.name))) {
    await session.query('INSERT INTO api_schema_migrations (name, checksum) VALUES ($1, $2)', [
      file.name,
      file.checksum,
    ]);
  }
}

/**
 * How long a file waits for a table's lock before it fails (and the next start retries it): on a
 * database in use, such as the dashboard's, a migration queued behind a long transaction would
 * otherwise queue every later query of those tables behind itself.
 */
const LOCK_TIMEOUT = `SET LOCAL lock_timeout = '10s'`;

/**
 * Serialises runners on the same schema across processes. A transaction-level lock is released by
 * the commit, so a crashed runner cannot leave it held. Keyed by schema so that test schemas
 * migrating side by side do not wait for each other.
 */
async function lock(session: SqlSession): Promise<void> {
  await session.query(`SELECT pg_advisory_xact_lock(hashtext('tenancy-db:migrations:' || current_schema()))`);
}

/**
 * Applied files rewritten since, by name, with the checksums of their earlier texts. A rewrite
 * belongs here only when a database the earlier text ran on ends, once the later files ran, as
 * one this build migrated (a later file redefines what differed, or one is added that does). 0001
 * and 0003 learnt to adopt the tables the dashboard's own migrations made on the Supabase project
 * (where their earlier texts could not run: 0001 failed on the existing organizations table); on a
 * database they created, nothing differs. The record keeps the checksum it has, so a build of the
 * earlier text still starts against the database (a rolling deploy, a rollback).
 *
 * The others were texts main held for a while, each rewritten in place by a later commit (named
 * beside it), so a database migrated by a build of that time was refused at every later start
 * ("changed after it was applied"). What they defined differently is defined again by a later
 * file: reserve_pipeline_quota by 0007, 0008 and 0014, 0015's org_writes_running by 0016 and its
 * copy of claim_org_lease by 0017; 0011's rewrite changed a comment only; 0012's earlier text
 * dropped live_reservation_run_ids, which nothing since calls. migrations.upgrade.spec.ts keeps
 * those texts and checks each such database ends as a fresh one.
 */
export const REWRITTEN_MIGRATIONS: Readonly<Record<string, readonly string[]>> = {
  '0001_organizations.sql': [
    '498c02bf5f2eb7c41f4839b7e7af8d9f3b05d715a4803b7e758dc9e24baf8e7a',
    // 35c1c83, put back by 2603d2d
    '074627ebc2ebd92895173f626eb5c51e4c96ed44e5c6bc5c868dd7883ee9c8f0',
  ],
  '0003_members_profiles.sql': ['7aa29f868fd88f2e0b1947ef66b318fcabb99da7b34ec5bd8a6b28eaaed0567f'],
  // b059764, put back by 68def27
  '0004_pipeline_quota.sql': ['6732e637c469ba717a1f9dda9d2f50ff01749b8e3fad16b8ebf6958f9fe08f75'],
  // d43b802, rewritten by ea709a9
  '0007_quota_replay_and_day_completion.sql': [
    '06eb776d5c6b1106a322a153c1f18524805572e0aa1d993c77d41228d1a51895',
  ],
  // 158ad58, rewritten by 89de301
  '0011_idempotency_claim_renewal.sql': ['aee6e459d8808743262f9c908e7e9147b06292d0c03d8a3ac839ecbac94c26ea'],
  // 00942e5, rewritten by 89de301
  '0012_quota_period_report.sql': ['b48cbcd1fa6d58c13a9ec7aecfcdd85462911580c83967d2bb646f90067b6a39'],
  // db5cf36, rewritten by 48c14e8
  '0015_org_write_leases.sql': ['07999023ec451e9c0f2f75d93e35c63a372fe6449f7644e1e67c52dc77c0c232'],
};

/** Whether `recorded` (an applied checksum) is `file`, in its current text or an accepted earlier one. */
function sameFile(
  file: MigrationFile,
  recorded: string,
  rewritten: Readonly<Record<string, readonly string[]>>,
): boolean {
  return recorded === file.checksum || (rewritten[file.name]?.includes(recorded) ?? false);
}

function changedFile(name: string): TenancyDbError {
  return new TenancyDbError(
    TenancyDbErrorCode.MigrationFailed,
    `Migration ${name} was changed after it was applied; add a new migration instead.`,
  );
}

async function appliedChecksums(session: SqlSession): Promise<Map<string, string>> {
  const rows = await session.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM api_schema_migrations',
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

/**
 * Applies the pending files of `dir`, each in its own transaction with its bookkeeping row, and
 * returns their names. Applied files whose content changed are refused before anything runs, but
 * for the rewrites `rewritten` accepts (REWRITTEN_MIGRATIONS).
 * Applied names missing from `dir` are ignored: an older build may run against a newer schema.
 */
export async function applyMigrations(
  db: SqlTransactor,
  dir: string = defaultMigrationsDir(),
  rewritten: Readonly<Record<string, readonly string[]>> = REWRITTEN_MIGRATIONS,
): Promise<string[]> {
  const files = await readMigrations(dir);
  const applied = await db.transaction(async (session) => {
    await lock(session);
    await session.exec(CREATE_TABLE);
    await session.exec(TAKE_OVER_EARLIER_RECORD);
    await takeOverCliRecord(session, files);
    return appliedChecksums(session);
  });
  for (const file of files) {
    const checksum = applied.get(file.name);
    if (checksum !== undefined && !sameFile(file, checksum, rewritten)) throw changedFile(file.name);
  }

  const done: string[] = [];
  for (const file of files.filter((f) => !applied.has(f.name))) {
    const ran = await db.transaction(async (session) => {
      await lock(session);
      // Another instance may have applied it while this one waited for the lock.
      const [row] = await session.query<{ checksum: string }>(
        'SELECT checksum FROM api_schema_migrations WHERE name = $1',
        [file.name],
      );
      if (row) {
        if (!sameFile(file, row.checksum, rewritten)) throw changedFile(file.name);
        return false;
      }
      try {
        await session.exec(LOCK_TIMEOUT);
        await session.exec(file.sql);
      } catch (cause) {
        throw new TenancyDbError(TenancyDbErrorCode.MigrationFailed, `Migration ${file.name} failed.`, {
          cause,
        });
      }
      await session.query('INSERT INTO api_schema_migrations (name, checksum) VALUES ($1, $2)', [
        file.name,
        file.checksum,
      ]);
      return true;
    });
    if (ran) done.push(file.name);
  }
  return done;
}
