import { PgTenancyDb } from './pg-tenancy-db.js';
import { dropSchema, randomSchemaName } from './tenancy-db-contract.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

const url = process.env.TEST_DATABASE_URL;

/** The server session behind the pool's one connection: its pid and when it started. */
interface Session {
  pid: number;
  started: string;
}

const SETUP = `
CREATE TABLE conn_items (id integer PRIMARY KEY);
CREATE FUNCTION conn_session() RETURNS TABLE (pid integer, started timestamptz) LANGUAGE sql AS $$
  SELECT a.pid, a.backend_start FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()
$$;
CREATE FUNCTION conn_refuse(p_why text) RETURNS TABLE (ok boolean, why text) LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'refused: %', p_why USING ERRCODE = '22023';
END
$$;
CREATE FUNCTION conn_echo(p_text text) RETURNS TABLE (said text) LANGUAGE sql AS $$ SELECT p_text $$;
`;

describe.skipIf(!url)('PgTenancyDb connections on PostgreSQL', () => {
  const connectionString = url as string;
  const schema = randomSchemaName('tdbconn');
  let db: PgTenancyDb;
  let admin: PgTenancyDb;

  const session = async (): Promise<Session> => {
    const [row] = await db.rpc<{ pid: number; started: string }>('conn_session', {});
    return { pid: row.pid, started: row.started };
  };

  beforeAll(async () => {
    // One connection, so every statement runs on the session the test looks at.
    db = await PgTenancyDb.open({ connectionString, schema, max: 1 });
    admin = await PgTenancyDb.open({ connectionString, max: 1 });
    await db.transaction((s) => s.exec(SETUP));
  });
  afterAll(async () => {
    await db?.close();
    await admin?.close();
    await dropSchema(connectionString, schema);
  });

  it('keeps its connection after statements the server refused: a unique violation, a check, a function exception', async () => {
    await db.insert('conn_items', [{ id: 1 }]);
    const before = await session();
    await expect(db.insert('conn_items', [{ id: 1 }])).rejects.toMatchObject({
      code: TenancyDbErrorCode.Conflict,
      sqlState: '23505',
    });
    await expect(db.insert('conn_items', [{ id: 'two' }])).rejects.toMatchObject({ sqlState: '22P02' });
    await expect(db.rpc('conn_refuse', { p_why: 'bad input' })).rejects.toMatchObject({
      code: TenancyDbErrorCode.QueryFailed,
      sqlState: '22023',
    });
    expect(await session()).toEqual(before);
    expect(await db.select('conn_items')).toEqual([{ id: 1 }]);
  });

  it('answers on a new connection after its connection was terminated while idle', async () => {
    const before = await session();
    await admin.transaction((s) => s.query('SELECT pg_terminate_backend($1, 5000)', [before.pid]));
    // The pool may still hand out the dead connection once (it hears of the end asynchronously):
    // that statement fails as Unavailable, and the connection is not kept.
    const first = await session().catch((e: unknown) => e);
    if (!('pid' in (first as object))) expect(first).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
    const after = await session();
    expect(after.pid).not.toBe(before.pid);
    expect(await db.rpc('conn_echo', { p_text: 'back' })).toEqual([{ said: 'back' }]);
  });

  it('drops a connection whose prepared call went stale (the function now returns another row shape)', async () => {
    expect(await db.rpc('conn_echo', { p_text: 'one' })).toEqual([{ said: 'one' }]);
    await admin.transaction((s) =>
      s.exec(`DROP FUNCTION "${schema}".conn_echo(text);
        CREATE FUNCTION "${schema}".conn_echo(p_text text) RETURNS TABLE (said text, length integer)
        LANGUAGE sql AS $$ SELECT p_text, char_length(p_text) $$;`),
    );
    // The connection prepared the call for the old shape: that one call fails, and not the next.
    await expect(db.rpc('conn_echo', { p_text: 'two' })).rejects.toMatchObject({ sqlState: '0A000' });
    expect(await db.rpc('conn_echo', { p_text: 'three' })).toEqual([{ said: 'three', length: 5 }]);
    expect(await db.rpc('conn_echo', { p_text: 'four' })).toEqual([{ said: 'four', length: 4 }]);
  });
});
