import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMigrations, defaultMigrationsDir, readMigrations } from './migrations.js';
import { PgTenancyDb } from './pg-tenancy-db.js';
import { PgliteTenancyDb } from './pglite-tenancy-db.js';
import type { SqlTransactor } from './sql-session.js';
import { dropSchema, randomSchemaName } from './tenancy-db-contract.js';

/**
 * Databases migrated by an earlier build of main, whose migration folder held a text of a file
 * that was rewritten since: the current build must start on them (the rewrite accepted) and leave
 * them as a database it migrated itself. Each case is one commit's folder: the current files up to
 * its last one, with the texts it had then (kept in testing/earlier-migrations/<commit>/).
 */
const EARLIER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'earlier-migrations');

const BUILDS: { commit: string; last: string; differences?: string[] }[] = [
  { commit: '35c1c83', last: '0008_zero_limit_is_unset.sql' },
  { commit: 'b059764', last: '0005_org_leases.sql' },
  { commit: 'd43b802', last: '0007_quota_replay_and_day_completion.sql' },
  { commit: '158ad58', last: '0011_idempotency_claim_renewal.sql' },
  // Its 0012 dropped live_reservation_run_ids, which the rewrite keeps for the builds before it
  // during a rolling deploy; none after 0012 calls it, and that database never had it back.
  { commit: '00942e5', last: '0012_quota_period_report.sql', differences: ['fn live_reservation_run_ids()'] },
  { commit: 'db5cf36', last: '0015_org_write_leases.sql' },
];

/** The folder as the build of `commit` shipped it. */
async function folderOf(commit: string, last: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `tdb-earlier-${commit}-`));
  for (const file of await readMigrations()) {
    if (file.name <= last)
      await copyFile(path.join(defaultMigrationsDir(), file.name), path.join(dir, file.name));
  }
  for (const name of await readdir(path.join(EARLIER, commit))) {
    await copyFile(path.join(EARLIER, commit, name), path.join(dir, name));
  }
  return dir;
}

/** What a migration leaves behind that queries depend on, keyed by object, the schema name masked. */
async function shape(db: SqlTransactor, schema: string): Promise<Map<string, string>> {
  const rows = await db.transaction((s) =>
    s.query<{ k: string; d: string }>(
      `SELECT 'fn ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS k,
              pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '') AS d
         FROM pg_proc p WHERE p.pronamespace = $1::text::regnamespace
       UNION ALL
       SELECT 'col ' || table_name || '.' || column_name,
              data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
         FROM information_schema.columns WHERE table_schema = $1::text
       UNION ALL
       SELECT 'con ' || conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = $1::text::regnamespace
       UNION ALL
       SELECT 'idx ' || indexname, indexdef FROM pg_indexes WHERE schemaname = $1::text
       UNION ALL
       SELECT 'rel ' || c.relname, coalesce(c.relacl::text, '') || ' rls=' || c.relrowsecurity
         FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace`,
      [schema],
    ),
  );
  return new Map(rows.map((r) => [r.k.replaceAll(schema, 'S'), r.d.replaceAll(schema, 'S')]));
}

function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

interface Engine {
  open(schema: string): Promise<SqlTransactor & { close(): Promise<void> }>;
  drop(schema: string): Promise<void>;
}

const url = process.env.TEST_DATABASE_URL;
const engines: [string, Engine][] = [
  ['PGlite', { open: (schema) => PgliteTenancyDb.open({ schema }), drop: async () => undefined }],
];
if (url) {
  engines.push([
    'PostgreSQL',
    {
      open: (schema) => PgTenancyDb.open({ connectionString: url, schema }),
      drop: (s) => dropSchema(url, s),
    },
  ]);
}

describe.each(engines)('upgrading a database migrated by an earlier build (%s)', (_name, engine) => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    const schema = randomSchemaName('tdb_fresh');
    const db = await engine.open(schema);
    try {
      await applyMigrations(db);
      reference = await shape(db, schema);
    } finally {
      await db.close();
      await engine.drop(schema);
    }
  }, 120_000);

  it.each(BUILDS)(
    'starts on the folder of $commit and leaves the database as a fresh one',
    async ({ commit, last, differences: expected = [] }) => {
      const dir = await folderOf(commit, last);
      const schema = randomSchemaName(`tdb_${commit}`);
      const db = await engine.open(schema);
      try {
        const earlier = await applyMigrations(db, dir);
        expect(earlier.at(-1)).toBe(last);
        const pending = (await readMigrations()).map((f) => f.name).filter((n) => n > last);
        expect(await applyMigrations(db)).toEqual(pending);
        expect(differences(reference, await shape(db, schema))).toEqual(expected);
      } finally {
        await db.close();
        await engine.drop(schema);
        await rm(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
