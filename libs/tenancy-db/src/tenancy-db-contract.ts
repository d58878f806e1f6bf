import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
// Explicit imports: this file is compiled with the libraries, where vitest's globals are not typed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, readMigrations } from './migrations.js';
import { PgTenancyDb } from './pg-tenancy-db.js';
import { quoteIdentifier } from './sql-builder.js';
import type { DbRow, TenancyDb } from './tenancy-db.port.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';
import { tableOperationCases } from './tenancy-db-contract.tables.js';
import { renderedValueCases, unsendableValueCases } from './tenancy-db-contract.values.js';

/** A driver under test, opened on an empty database (or schema) of its own. */
export interface TenancyDbHarness {
  db: TenancyDb;
  /** Runs a SQL script where `db` works (setup the port cannot express: tables, functions). */
  exec(script: string): Promise<void>;
  /** Applies the migrations of another folder to the same database; absent when the driver does not migrate. */
  migrateFrom?(dir: string, rewritten?: Readonly<Record<string, readonly string[]>>): Promise<string[]>;
  close(): Promise<void>;
}

/** A fresh schema name per run, so runs never see each other's rows. */
export function randomSchemaName(prefix = 'tdb'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const admin = await PgTenancyDb.open({ connectionString, max: 1 });
  try {
    await admin.transaction((s) => s.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`));
  } finally {
    await admin.close();
  }
}

const SETUP = `
CREATE TABLE contract_types (
  id int8 PRIMARY KEY,
  amount numeric(12, 4),
  at timestamptz,
  day date,
  local_at timestamp,
  data jsonb,
  flag boolean,
  ids int8[] DEFAULT '{1,9007199254740991}',
  amounts numeric[] DEFAULT '{1.5,2}',
  ats timestamptz[] DEFAULT '{"2024-05-01 10:00:00+00"}'
);
-- On Supabase a table is reached over REST only with a grant to the service role (0018).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON contract_types TO service_role;
  END IF;
END
$$;
CREATE FUNCTION contract_orgs_by_plan(p_plan text, p_slugs jsonb)
RETURNS TABLE (org_slug text, seat_limit integer) LANGUAGE sql STABLE AS $$
  SELECT o.org_slug, o.seat_limit FROM organizations o
  WHERE o.plan = p_plan AND o.org_slug IN (SELECT jsonb_array_elements_text(p_slugs))
  ORDER BY o.org_slug
$$;
CREATE FUNCTION contract_add(p_a integer, p_b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT p_a + p_b
$$;
CREATE FUNCTION contract_mark_synced(p_slug text) RETURNS void LANGUAGE sql AS $$
  UPDATE organizations SET backend_quota_synced = true WHERE org_slug = p_slug
$$;
`;

/** What the contract's case files see; filled in by the describe's beforeAll. */
export interface ContractContext {
  h: TenancyDbHarness;
  db: TenancyDb;
  /** A slug no other test (or run) uses. */
  slug(label: string): string;
  /** An organizations row with a fresh slug. */
  org(label: string, extra?: DbRow): DbRow;
}

export function describeTenancyDbContract(name: string, open: () => Promise<TenancyDbHarness>): void {
  describe(`TenancyDb contract: ${name}`, () => {
    let h: TenancyDbHarness;
    let db: TenancyDb;
    let firstMigration: string[];
    let secondMigration: string[];
    let counter = 0;
    const run = randomBytes(3).toString('hex');
    const slug = (label: string): string => `c${run}_${label}_${++counter}`;
    const org = (label: string, extra: DbRow = {}): DbRow => ({
      org_slug: slug(label),
      company_name: `Company ${label}`,
      ...extra,
    });
    const context: ContractContext = {
      get h() {
        return h;
      },
      get db() {
        return db;
      },
      slug,
      org,
    };

    beforeAll(async () => {
      h = await open();
      db = h.db;
      firstMigration = await db.migrate();
      secondMigration = await db.migrate();
      await h.exec(SETUP);
    });
    afterAll(async () => {
      await h?.close();
    });

    it('applies every migration file on the first run and none on the second', async () => {
      const files = (await readMigrations()).map((f) => f.name);
      expect(firstMigration).toEqual(h.migrateFrom ? files : []);
      expect(files).toContain('0001_organizations.sql');
      expect(secondMigration).toEqual([]);
    });

    it('refuses an applied migration whose file changed, naming the file', async (t) => {
      if (!h.migrateFrom) return t.skip();
      const dir = await mkdtemp(path.join(tmpdir(), 'tdb-migrations-'));
      try {
        await cp(defaultMigrationsDir(), dir, { recursive: true });
        await appendFile(path.join(dir, '0001_organizations.sql'), '\n-- edited after release\n');
        await expect(h.migrateFrom(dir)).rejects.toMatchObject({
          code: TenancyDbErrorCode.MigrationFailed,
          detail: expect.stringContaining('0001_organizations.sql'),
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('accepts an applied file rewritten as its listing of earlier checksums allows, keeping its record', async (t) => {
      if (!h.migrateFrom) return t.skip();
      const dir = await mkdtemp(path.join(tmpdir(), 'tdb-migrations-'));
      try {
        await cp(defaultMigrationsDir(), dir, { recursive: true });
        const name = '0001_organizations.sql';
        // As a database migrated by an earlier text holds it: that text's checksum.
        const earlier = (await readMigrations()).find((f) => f.name === name)?.checksum as string;
        // Refused without the listing (the test above); accepted with it.
        await appendFile(path.join(dir, name), '\n-- rewritten\n');
        expect(await h.migrateFrom(dir, { [name]: [earlier] })).toEqual([]);
        expect(await db.select('api_schema_migrations', { name }, { columns: ['checksum'] })).toEqual([
          { checksum: earlier },
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('applies only a new file, and rolls back and does not record a failing one', async (t) => {
      if (!h.migrateFrom) return t.skip();
      const good = await mkdtemp(path.join(tmpdir(), 'tdb-migrations-'));
      const bad = await mkdtemp(path.join(tmpdir(), 'tdb-migrations-'));
      try {
        await cp(defaultMigrationsDir(), good, { recursive: true });
        await cp(defaultMigrationsDir(), bad, { recursive: true });
        await writeFile(
          path.join(good, '9999_contract_extra.sql'),
          'CREATE TABLE contract_extra (id int PRIMARY KEY);',
        );
        await writeFile(
          path.join(bad, '9998_contract_broken.sql'),
          'CREATE TABLE contract_broken (id int);\nSELECT contract_no_such_function();',
        );
        expect(await h.migrateFrom(good)).toEqual(['9999_contract_extra.sql']);
        expect(await h.migrateFrom(good)).toEqual([]);
        expect(await db.select('contract_extra')).toEqual([]);
        await expect(h.migrateFrom(bad)).rejects.toMatchObject({
          code: TenancyDbErrorCode.MigrationFailed,
          detail: expect.stringContaining('9998_contract_broken.sql'),
        });
        await expect(db.select('contract_broken')).rejects.toMatchObject({ sqlState: '42P01' });
      } finally {
        await rm(good, { recursive: true, force: true });
        await rm(bad, { recursive: true, force: true });
      }
    });

    tableOperationCases(context);
    unsendableValueCases(context);
    renderedValueCases(context);

    it('calls SQL functions by named arguments: table, scalar and void results', async () => {
      const rows = [org('rpc', { plan: 'SCALE', seat_limit: 11 }), org('rpc', { plan: 'SCALE' }), org('rpc')];
      await db.insert('organizations', rows);
      const slugs = rows.map((r) => r.org_slug as string);
      expect(await db.rpc('contract_orgs_by_plan', { p_slugs: slugs, p_plan: 'SCALE' })).toEqual([
        { org_slug: slugs[0], seat_limit: 11 },
        { org_slug: slugs[1], seat_limit: null },
      ]);
      expect(await db.rpc('contract_add', { p_a: 2, p_b: 3 })).toEqual([{ contract_add: 5 }]);
      expect(await db.rpc('contract_add', { p_a: null, p_b: 3 })).toEqual([{ contract_add: null }]);
      expect(await db.rpc('contract_mark_synced', { p_slug: slugs[2] })).toEqual([]);
      const [marked] = await db.select(
        'organizations',
        { org_slug: slugs[2] },
        { columns: ['backend_quota_synced'] },
      );
      expect(marked).toEqual({ backend_quota_synced: true });
    });

    it('returns timestamps, dates, numerics, bigints, json and arrays in the one normalised shape', async () => {
      const at = new Date('2024-05-01T10:00:00.123Z');
      const [row] = await db.insert('contract_types', [
        {
          id: 1,
          amount: 12.5,
          at,
          day: '2024-05-01',
          local_at: '2024-05-01T10:00:00',
          data: { a: [1, 'x'], b: null },
          flag: true,
        },
      ]);
      const expected = {
        id: 1,
        amount: 12.5,
        at: '2024-05-01T10:00:00.123+00:00',
        day: '2024-05-01',
        local_at: '2024-05-01T10:00:00',
        data: { a: [1, 'x'], b: null },
        flag: true,
        ids: [1, 9007199254740991],
        amounts: [1.5, 2],
        ats: ['2024-05-01T10:00:00+00:00'],
      };
      expect(row).toEqual(expected);
      expect(await db.select('contract_types', { at })).toEqual([expected]);
      const [micro] = await db.insert('contract_types', [{ id: 2, at: '2024-05-01T10:00:00.123456Z' }]);
      expect(micro.at).toBe('2024-05-01T10:00:00.123456+00:00');
    });

    it('answers a ping', async () => {
      await expect(db.ping(5_000)).resolves.toBeUndefined();
    });
  });
}
