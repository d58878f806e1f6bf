import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations, migrationChecksum } from './migrations.js';
import { PgliteTenancyDb } from './pglite-tenancy-db.js';
import { describeTenancyDbContract } from './tenancy-db-contract.js';

describeTenancyDbContract('PGlite in memory', async () => {
  const db = await PgliteTenancyDb.open({ schema: 'contract' });
  return {
    db,
    exec: (script) => db.transaction((s) => s.exec(script)),
    migrateFrom: (dir, rewritten) => applyMigrations(db, dir, rewritten),
    close: () => db.close(),
  };
});

// Opening PGlite on disk takes seconds, more on a loaded machine; two opens need more than the default.
const DISK_TIMEOUT_MS = 120_000;

describe('PgliteTenancyDb with a data folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-pglite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'creates the folder and keeps rows and applied migrations across reopening',
    async () => {
      const dataDir = path.join(dir, 'nested', 'pgdata');
      const first = await PgliteTenancyDb.open({ dataDir });
      expect(await first.migrate()).toContain('0001_organizations.sql');
      await first.insert('organizations', [{ org_slug: 'persisted_org', company_name: 'Persisted' }]);
      await first.close();

      const second = await PgliteTenancyDb.open({ dataDir });
      try {
        expect(await second.migrate()).toEqual([]);
        const rows = await second.select(
          'organizations',
          { org_slug: 'persisted_org' },
          { columns: ['company_name'] },
        );
        expect(rows).toEqual([{ company_name: 'Persisted' }]);
      } finally {
        await second.close();
      }
    },
    DISK_TIMEOUT_MS,
  );

  it('names the folder and the setting that chose it when the folder cannot be opened', async () => {
    // A start on PGLITE_DIR naming a file failed with "The tenancy database is unavailable" alone.
    const file = path.join(dir, 'not-a-folder');
    await writeFile(file, '');
    const opening = PgliteTenancyDb.open({ dataDir: file, lock: { setting: 'PGLITE_DIR' } });
    await expect(opening).rejects.toMatchObject({ code: 'TENANCY_DB_UNAVAILABLE' });
    await expect(opening).rejects.toThrow(
      `The embedded tenancy database ${file} (PGLITE_DIR) could not be opened`,
    );
  });

  it('reports Unavailable for queries after close', async () => {
    const db = await PgliteTenancyDb.open();
    await db.close();
    await expect(db.ping()).rejects.toMatchObject({ code: 'TENANCY_DB_UNAVAILABLE' });
  });
});

describe('the record of applied migrations', () => {
  let dir: string;
  let db: PgliteTenancyDb;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tdb-record-'));
    db = await PgliteTenancyDb.open();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes over what this runner recorded under its earlier name, schema_migrations', async () => {
    // Applied already (it would fail if it ran again); then a new file.
    const applied = 'CREATE TABLE once (id int);';
    await writeFile(path.join(dir, '0001_once.sql'), applied);
    await writeFile(path.join(dir, '0002_new.sql'), 'CREATE TABLE later (id int);');
    await db.transaction((s) =>
      s.exec(`CREATE TABLE once (id int);
        CREATE TABLE schema_migrations (name text PRIMARY KEY, checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO schema_migrations (name, checksum) VALUES ('0001_once.sql', '${migrationChecksum(applied)}');`),
    );
    expect(await applyMigrations(db, dir)).toEqual(['0002_new.sql']);
    expect(
      await db.select('api_schema_migrations', {}, { columns: ['name'], orderBy: [{ column: 'name' }] }),
    ).toEqual([{ name: '0001_once.sql' }, { name: '0002_new.sql' }]);
  });

  it("takes the files Supabase's CLI applied (supabase db push) as applied, and runs the later ones", async () => {
    await writeFile(path.join(dir, '0001_once.sql'), 'CREATE TABLE once (id int);');
    await writeFile(path.join(dir, '0002_twice.sql'), 'CREATE TABLE twice (id int);');
    await writeFile(path.join(dir, '0003_new.sql'), 'CREATE TABLE later (id int);');
    // As the CLI leaves a project: the files it ran, and its record of them (with a file of the
    // project's own that this folder does not have).
    await db.transaction((s) =>
      s.exec(`CREATE TABLE once (id int);
        CREATE TABLE twice (id int);
        CREATE SCHEMA supabase_migrations;
        CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, statements text[], name text);
        INSERT INTO supabase_migrations.schema_migrations (version, statements, name) VALUES
          ('0001', '{}', 'once'), ('0002', '{}', 'twice'), ('20240101000000', '{}', 'dashboard_init');`),
    );
    expect(await applyMigrations(db, dir)).toEqual(['0003_new.sql']);
    expect(
      await db.select('api_schema_migrations', {}, { columns: ['name'], orderBy: [{ column: 'name' }] }),
    ).toEqual([{ name: '0001_once.sql' }, { name: '0002_twice.sql' }, { name: '0003_new.sql' }]);
    expect(await applyMigrations(db, dir)).toEqual([]);
  });

  it("leaves another runner's schema_migrations alone (the dashboard's, on Supabase)", async () => {
    await writeFile(path.join(dir, '0001_once.sql'), 'CREATE TABLE once (id int);');
    await db.transaction((s) =>
      s.exec(`CREATE TABLE schema_migrations (id serial PRIMARY KEY, filename text NOT NULL UNIQUE,
          checksum text, applied_at timestamptz DEFAULT now());
        INSERT INTO schema_migrations (filename, checksum) VALUES ('01_production_setup.sql', 'x');`),
    );
    expect(await applyMigrations(db, dir)).toEqual(['0001_once.sql']);
    expect(await db.select('schema_migrations', {}, { columns: ['filename'] })).toEqual([
      { filename: '01_production_setup.sql' },
    ]);
  });

  it("runs its files as a role that may not read the CLI's record (a least-privilege DATABASE_URL)", async () => {
    await writeFile(path.join(dir, '0001_once.sql'), 'CREATE TABLE once (id int);');
    // The CLI's schema exists (the project was pushed to once) but this role has no USAGE on it:
    // looking the record up with to_regclass failed with 42501, and the API could not start.
    await db.transaction((s) =>
      s.exec(`CREATE SCHEMA supabase_migrations;
        CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, name text);
        CREATE ROLE api_runner NOLOGIN;
        GRANT USAGE, CREATE ON SCHEMA public TO api_runner;`),
    );
    await db.transaction((s) => s.exec('SET ROLE api_runner'));
    try {
      expect(await applyMigrations(db, dir)).toEqual(['0001_once.sql']);
    } finally {
      await db.transaction((s) => s.exec('RESET ROLE'));
    }
  });
});
