import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations } from './migrations.js';
import { PgTenancyDb } from './pg-tenancy-db.js';
import { describeTenancyDbContract, dropSchema, randomSchemaName } from './tenancy-db-contract.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('PgTenancyDb on PostgreSQL', () => {
  const connectionString = url as string;

  describeTenancyDbContract('pg in a fresh schema', async () => {
    const schema = randomSchemaName();
    const db = await PgTenancyDb.open({ connectionString, schema });
    return {
      db,
      exec: (script) => db.transaction((s) => s.exec(script)),
      migrateFrom: (dir, rewritten) => applyMigrations(db, dir, rewritten),
      close: async () => {
        await db.close();
        await dropSchema(connectionString, schema);
      },
    };
  });

  describe('two instances migrating the same schema at once', () => {
    const schema = randomSchemaName();
    let dir: string;
    let a: PgTenancyDb;
    let b: PgTenancyDb;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'tdb-concurrent-'));
      // CREATE TABLE fails if run twice, and the sleep widens the window in which both could try.
      await writeFile(
        path.join(dir, '0001_first.sql'),
        'SELECT pg_sleep(0.2); CREATE TABLE first_once (id int);',
      );
      await writeFile(
        path.join(dir, '0002_second.sql'),
        'CREATE TABLE second_once (id int); SELECT pg_sleep(0.1);',
      );
      a = await PgTenancyDb.open({ connectionString, schema, migrationsDir: dir });
      b = await PgTenancyDb.open({ connectionString, schema, migrationsDir: dir });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await dropSchema(connectionString, schema);
      await rm(dir, { recursive: true, force: true });
    });

    it('applies each file exactly once between them', async () => {
      const [fromA, fromB] = await Promise.all([a.migrate(), b.migrate()]);
      expect([...fromA, ...fromB].sort()).toEqual(['0001_first.sql', '0002_second.sql']);
      const recorded = await a.select(
        'api_schema_migrations',
        {},
        { columns: ['name'], orderBy: [{ column: 'name' }] },
      );
      expect(recorded).toEqual([{ name: '0001_first.sql' }, { name: '0002_second.sql' }]);
    });
  });

  it('reports a statement past statement_timeout as Timeout', async () => {
    const schema = randomSchemaName();
    const db = await PgTenancyDb.open({ connectionString, schema, queryTimeoutMs: 100 });
    try {
      await db.transaction((s) =>
        s.exec(`CREATE FUNCTION slow(p_seconds float8) RETURNS TABLE (ok boolean) LANGUAGE sql AS $$
          SELECT pg_sleep(p_seconds) IS NOT NULL $$;`),
      );
      await expect(db.rpc('slow', { p_seconds: 1 })).rejects.toMatchObject({
        code: TenancyDbErrorCode.Timeout,
        sqlState: '57014',
      });
      expect(await db.rpc('slow', { p_seconds: 0 })).toEqual([{ ok: true }]);
    } finally {
      await db.close();
      await dropSchema(connectionString, schema);
    }
  });

  it("keeps its session settings under a URL's own options= (a statement past the timeout is still cut)", async () => {
    const schema = randomSchemaName();
    const withOptions = `${connectionString}${connectionString.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c application_name=qa_options -c TimeZone=America/New_York -c statement_timeout=0')}`;
    const db = await PgTenancyDb.open({ connectionString: withOptions, schema, queryTimeoutMs: 150 });
    try {
      const [session] = await db.transaction((s) =>
        s.query<Record<string, string>>(
          `SELECT current_setting('application_name') AS app, current_setting('TimeZone') AS tz,
             current_setting('statement_timeout') AS st, current_schema() AS schema`,
        ),
      );
      expect(session).toEqual({ app: 'qa_options', tz: 'UTC', st: '150ms', schema });
      await expect(db.transaction((s) => s.exec('SELECT pg_sleep(1)'))).rejects.toMatchObject({
        code: TenancyDbErrorCode.Timeout,
      });
    } finally {
      await db.close();
      await dropSchema(connectionString, schema);
    }
  });

  it.each([
    [true, ['SELECT * FROM "echo"("p_text" => $1)']],
    [false, []],
  ])(
    'prepares a function call once per connection, unless told not to (preparedStatements %s)',
    async (prepared, want) => {
      const schema = randomSchemaName();
      const db = await PgTenancyDb.open({ connectionString, schema, max: 1, preparedStatements: prepared });
      try {
        await db.transaction((s) =>
          s.exec(
            `CREATE FUNCTION echo(p_text text) RETURNS TABLE (said text) LANGUAGE sql AS $$ SELECT p_text $$;`,
          ),
        );
        expect(await db.rpc('echo', { p_text: 'one' })).toEqual([{ said: 'one' }]);
        expect(await db.rpc('echo', { p_text: 'two' })).toEqual([{ said: 'two' }]);
        // One connection: the view shows that session's prepared statements.
        const rows = await db.transaction((s) =>
          s.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement'),
        );
        expect(rows.map((r) => r.statement)).toEqual(want);
      } finally {
        await db.close();
        await dropSchema(connectionString, schema);
      }
    },
  );
});

describe('PgTenancyDb without a server', () => {
  const unreachable = 'postgres://tenant_admin:s3cret-password@127.0.0.1:1/finops';

  it('reports Unavailable for a ping, a query and a migration, without the credentials', async () => {
    const db = await PgTenancyDb.open({ connectionString: unreachable, connectTimeoutMs: 2_000 });
    try {
      const failures = await Promise.all([
        db.ping(3_000).catch((e: unknown) => e),
        db.select('organizations').catch((e: unknown) => e),
        db.migrate().catch((e: unknown) => e),
      ]);
      for (const failure of failures) {
        expect(failure).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
        const text = `${(failure as Error).message} ${JSON.stringify(failure)}`;
        expect(text).not.toContain('s3cret-password');
        expect(text).not.toContain('tenant_admin');
      }
    } finally {
      await db.close();
    }
  });

  it('reports Unavailable from open when the schema cannot be created', async () => {
    await expect(
      PgTenancyDb.open({ connectionString: unreachable, schema: 'tdb_unreachable' }),
    ).rejects.toMatchObject({
      code: TenancyDbErrorCode.Unavailable,
    });
  });
});
