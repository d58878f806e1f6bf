import { applyMigrations, PgTenancyDb } from '#tenancy-db';
import { startPostgrestServer, type PostgrestServer } from './postgrest-server.js';
import { parseListVal } from './postgrest-query.js';
import { cuttableRelay } from './redis-relay.js';

const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('local PostgREST server', () => {
  const connectionString = url as string;
  const schema = `pgrst_${Math.random().toString(16).slice(2, 10)}`;
  let sql: PgTenancyDb;
  let server: PostgrestServer;

  const call = (path: string, init: RequestInit & { key?: string } = {}) => {
    const key = init.key ?? server.serviceKey;
    return fetch(`${server.url}/rest/v1/${path}`, {
      ...init,
      headers: {
        apikey: key,
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
  };

  beforeAll(async () => {
    sql = await PgTenancyDb.open({ connectionString, schema });
    await applyMigrations(sql);
    server = await startPostgrestServer({ connectionString, schema });
    await sql.insert('organizations', [
      { org_slug: 'srv_a', company_name: 'A' },
      { org_slug: 'srv_b', company_name: 'B' },
      { org_slug: 'srv_c', company_name: 'C' },
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await sql?.transaction((s) => s.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await sql?.close();
  });

  it('answers 401 in PostgREST error format when the key is missing or wrong, and records the request', async () => {
    const before = server.requests.length;
    const res = await call('organizations', { key: 'wrong' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      code: 'PGRST301',
      message: 'Invalid API key or JWT',
      details: null,
      hint: null,
    });
    expect(server.requests.slice(before)).toMatchObject([{ method: 'GET', path: '/rest/v1/organizations' }]);
  });

  it('answers 406 for a schema it does not expose', async () => {
    const res = await call('organizations', { headers: { 'accept-profile': 'public' } });
    expect(res.status).toBe(406);
    expect(await res.json()).toMatchObject({ code: 'PGRST106' });
  });

  it('pages with a Range header and says so in Content-Range', async () => {
    const res = await call('organizations?select=org_slug&order=org_slug.asc', { headers: { range: '1-2' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-range')).toBe('1-2/*');
    expect(await res.json()).toEqual([{ org_slug: 'srv_b' }, { org_slug: 'srv_c' }]);
  });

  it('answers 409 with the SQLSTATE, message and details for a duplicate key', async () => {
    const res = await call('organizations', {
      method: 'POST',
      body: JSON.stringify({ org_slug: 'srv_a', company_name: 'again' }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      code: '23505',
      message: 'duplicate key value violates unique constraint "organizations_org_slug_key"',
      details: 'Key (org_slug)=(srv_a) already exists.',
      hint: null,
    });
  });

  it('answers 400 for a check violation and 201 without a body for return=minimal', async () => {
    const bad = await call('organizations', {
      method: 'POST',
      body: JSON.stringify({ org_slug: 'srv_x', company_name: 'x', plan: 'GOLD' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: '23514' });
    const ok = await call('organizations', {
      method: 'POST',
      body: JSON.stringify({ org_slug: 'srv_d', company_name: 'D' }),
    });
    expect(ok.status).toBe(201);
    expect(await ok.text()).toBe('');
  });

  it('answers 404 PGRST202 for an unknown function', async () => {
    const res = await call('rpc/no_such_function', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'PGRST202' });
  });

  it('answers 400 PGRST100 for a filter operator it does not know', async () => {
    const res = await call('organizations?org_slug=like.srv*');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'PGRST100' });
  });
});

describe.skipIf(!url)('local PostgREST server, its database out of reach', () => {
  it("answers PostgREST's 503 (PGRST000, PGRST001) in its error format, not a 500", async () => {
    const connectionString = url as string;
    const schema = `pgrst_${Math.random().toString(16).slice(2, 10)}`;
    const sql = await PgTenancyDb.open({ connectionString, schema });
    const relay = await cuttableRelay(new URL(connectionString));
    const server = await startPostgrestServer({ connectionString: relay.url, schema });
    const get = () =>
      fetch(`${server.url}/rest/v1/organizations?select=org_slug`, {
        headers: { apikey: server.serviceKey, authorization: `Bearer ${server.serviceKey}` },
      });
    try {
      await applyMigrations(sql);
      expect((await get()).status).toBe(200);
      relay.cut();
      const answers = [];
      for (let i = 0; i < 2; i++) {
        const res = await get();
        answers.push([res.status, (await res.json()) as { code: string; message: string }] as const);
      }
      for (const [status, body] of answers) {
        expect(status).toBe(503);
        expect(body.message).toMatch(/^Database (connection|client) error\. Retrying the connection\.$/);
      }
      // A pooled connection the cut broke under a query is PGRST001; one that cannot be had, PGRST000.
      expect(['PGRST000', 'PGRST001']).toContain(answers[0][1].code);
      expect(answers[1][1].code).toBe('PGRST000');
    } finally {
      await relay.close();
      await server.close();
      await sql.transaction((s) => s.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      await sql.close();
    }
  });
});

describe("PostgREST's `in` list grammar (pListVal)", () => {
  it('reads quoted elements with their escapes, others literally, and a lone empty element as no value', () => {
    expect(parseListVal('(a,"b,c")')).toEqual(['a', 'b,c']);
    expect(parseListVal('("Say \\"hi\\", then","C:\\\\dir")')).toEqual(['Say "hi", then', 'C:\\dir']);
    // Unquoted: quotes and backslashes are characters; quoted then not ended by `,` or `)`: unquoted.
    expect(parseListVal('(a"b,c\\d,"x"y)')).toEqual(['a"b', 'c\\d', '"x"y']);
    // What postgrest-js's in() sends for `Say "hi", then` and `"Quoted"`: other values.
    expect(parseListVal('("Say "hi", then")')).toEqual(['"Say "hi"', ' then"']);
    expect(parseListVal('("Quoted")')).toEqual(['Quoted']);
    expect(parseListVal('( lead, trail )')).toEqual(['lead', ' trail ']);
    expect(parseListVal('()')).toEqual([]);
    expect(parseListVal('("")')).toEqual([]);
    expect(parseListVal('(a)b')).toBeUndefined();
    expect(parseListVal('a,b')).toBeUndefined();
  });
});
