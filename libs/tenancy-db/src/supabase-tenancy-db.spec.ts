import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPostgrestServer, type PostgrestServer } from '#test/postgrest-server';
import { cuttableRelay } from '#test/redis-relay';
import { applyMigrations } from './migrations.js';
import { PgTenancyDb } from './pg-tenancy-db.js';
import { SupabaseTenancyDb } from './supabase-tenancy-db.js';
import { describeTenancyDbContract, dropSchema, randomSchemaName } from './tenancy-db-contract.js';
import { TenancyDbErrorCode } from './tenancy-db.errors.js';

const url = process.env.TEST_DATABASE_URL;

/** A schema migrated through pg (Supabase's tooling plays that part in production) and served over REST. */
async function openBackend(connectionString: string, maxRows?: number, serverReachesDbAt = connectionString) {
  const schema = randomSchemaName();
  const sql = await PgTenancyDb.open({ connectionString, schema });
  await applyMigrations(sql);
  const server = await startPostgrestServer({ connectionString: serverReachesDbAt, schema, maxRows });
  const db = await SupabaseTenancyDb.open({ url: server.url, serviceRoleKey: server.serviceKey, schema });
  return {
    schema,
    sql,
    server,
    db,
    close: async () => {
      await db.close();
      await server.close();
      await sql.close();
      await dropSchema(connectionString, schema);
    },
  };
}

describe.skipIf(!url)('SupabaseTenancyDb through supabase-js and a local PostgREST', () => {
  const connectionString = url as string;

  describeTenancyDbContract('supabase-js → PostgREST → PostgreSQL', async () => {
    const backend = await openBackend(connectionString);
    return {
      db: backend.db,
      exec: (script) => backend.sql.transaction((s) => s.exec(script)),
      close: backend.close,
    };
  });

  describe('requests it sends', () => {
    let backend: Awaited<ReturnType<typeof openBackend>>;
    let server: PostgrestServer;
    beforeAll(async () => {
      backend = await openBackend(connectionString);
      server = backend.server;
    });
    afterAll(async () => {
      await backend?.close();
    });

    it('sends filters, order and paging as PostgREST query parameters with the service key', async () => {
      server.requests.length = 0;
      await backend.db.select(
        'organizations',
        { plan: 'SCALE', org_slug: { in: ['a_b', 'c,d'] }, seat_limit: null },
        { columns: ['org_slug'], orderBy: [{ column: 'org_slug', ascending: false }], limit: 5, offset: 10 },
      );
      const [request] = server.requests;
      expect(request.method).toBe('GET');
      expect(request.path).toBe('/rest/v1/organizations');
      expect(request.query).toEqual([
        ['select', 'org_slug'],
        ['plan', 'eq.SCALE'],
        ['org_slug', 'in.("a_b","c,d")'],
        ['seat_limit', 'is.null'],
        ['order', 'org_slug.desc'],
        ['offset', '10'],
        ['limit', '5'],
      ]);
      expect(request.headers.apikey).toBe(server.serviceKey);
      expect(request.headers.authorization).toBe(`Bearer ${server.serviceKey}`);
      expect(request.headers['accept-profile']).toBe(backend.schema);
    });

    it("reads every row past PostgREST's max-rows, a page at a time, with or without a limit", async () => {
      const capped = await openBackend(connectionString, 3);
      try {
        const slugs = Array.from({ length: 8 }, (_, i) => `paged_${i}`);
        await capped.db.insert(
          'organizations',
          slugs.map((org_slug) => ({ org_slug, company_name: org_slug })),
        );
        const read = async (options: { limit?: number; offset?: number }) =>
          (
            await capped.db.select<{ org_slug: string }>(
              'organizations',
              {},
              { columns: ['org_slug'], orderBy: [{ column: 'org_slug' }], ...options },
            )
          ).map((r) => r.org_slug);
        capped.server.requests.length = 0;
        expect(await read({})).toEqual(slugs);
        expect(capped.server.requests).toHaveLength(3);
        expect(await read({ offset: 2 })).toEqual(slugs.slice(2));
        expect(await read({ offset: 1, limit: 5 })).toEqual(slugs.slice(1, 6));
        expect(await read({ limit: 2 })).toEqual(slugs.slice(0, 2));
        expect(await read({ offset: 9 })).toEqual([]);
      } finally {
        await capped.close();
      }
    });

    it('reads an `in` list longer than the gateway takes in a URL in parts, and the whole of it', async () => {
      const ids = Array.from({ length: 600 }, () => randomUUID());
      await backend.sql.insert(
        'profiles',
        ids.map((id, i) => ({ id, email: `user${i}@example.com` })),
      );
      server.requests.length = 0;
      const read = await backend.db.select<{ id: string }>(
        'profiles',
        { id: { in: [...ids, ids[0]] } },
        {
          columns: ['id'],
        },
      );
      expect(read.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(server.requests.length).toBeGreaterThan(1);
      expect(
        Math.max(...server.requests.map((r) => new URLSearchParams(r.query).toString().length)),
      ).toBeLessThan(8192);
      const emails = ids.map((_, i) => `user${i}@example.com`);
      const both = await backend.db.select<{ id: string }>(
        'profiles',
        { id: { in: ids }, email: { in: emails } },
        { columns: ['id'] },
      );
      expect(both).toHaveLength(ids.length);
      await expect(
        backend.db.select('profiles', { id: { in: ids } }, { orderBy: [{ column: 'email' }] }),
      ).rejects.toMatchObject({ code: TenancyDbErrorCode.QueryFailed });
    });

    it('upserts with merge-duplicates, on_conflict and column defaults for missing keys', async () => {
      server.requests.length = 0;
      await backend.db.upsert(
        'organizations',
        [{ org_slug: 'req_upsert', company_name: 'Up', seat_limit: undefined }],
        ['org_slug'],
      );
      const [request] = server.requests;
      expect(request.method).toBe('POST');
      expect(new URLSearchParams(request.query).get('on_conflict')).toBe('org_slug');
      expect(request.headers.prefer.split(/,\s*/).sort()).toEqual([
        'missing=default',
        'resolution=merge-duplicates',
        'return=representation',
      ]);
      expect(request.body).toEqual([{ org_slug: 'req_upsert', company_name: 'Up' }]);
    });

    it('reports a rejected service key as Unavailable', async () => {
      const wrongKey = await SupabaseTenancyDb.open({
        url: server.url,
        serviceRoleKey: 'not-the-key',
        schema: backend.schema,
      });
      try {
        await expect(wrongKey.ping()).rejects.toMatchObject({ code: TenancyDbErrorCode.Unavailable });
        const error = await wrongKey
          .insert('organizations', [{ org_slug: 'nokey', company_name: 'x' }])
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
        expect((error as Error).message).not.toContain('not-the-key');
      } finally {
        await wrongKey.close();
      }
    });
  });
});

describe.skipIf(!url)('SupabaseTenancyDb when PostgREST cannot reach its database', () => {
  it('reports Unavailable, as the pg driver does for a lost connection', async () => {
    const relay = await cuttableRelay(new URL(url as string));
    const backend = await openBackend(url as string, undefined, relay.url);
    try {
      await backend.db.insert('organizations', [{ org_slug: 'reach', company_name: 'x' }]);
      relay.cut();
      // PostgREST's 503s (PGRST000, PGRST001): the call never reached the database.
      const failures = [
        await backend.db.select('organizations', { org_slug: 'reach' }).catch((e: unknown) => e),
        await backend.db
          .update('organizations', { org_slug: 'reach' }, { seat_limit: 2 })
          .catch((e: unknown) => e),
        await backend.db
          .rpc('reserve_pipeline_quota', { p_org_slug: 'reach', p_run_id: 'r', p_pipeline_id: 'p' })
          .catch((e: unknown) => e),
        await backend.db.ping().catch((e: unknown) => e),
      ];
      for (const failure of failures) expect(failure).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
    } finally {
      await relay.close();
      await backend.close();
    }
  });
});

describe('SupabaseTenancyDb without a server', () => {
  it('reports Unavailable for a ping and a write, without the key', async () => {
    const key = 'sb-secret-service-role-key';
    const db = await SupabaseTenancyDb.open({ url: 'http://127.0.0.1:1', serviceRoleKey: key });
    try {
      const failures = await Promise.all([
        db.ping(3_000).catch((e: unknown) => e),
        db.insert('organizations', [{ org_slug: 'offline', company_name: 'x' }]).catch((e: unknown) => e),
      ]);
      for (const failure of failures) {
        expect(failure).toMatchObject({ code: TenancyDbErrorCode.Unavailable });
        expect(`${(failure as Error).message} ${JSON.stringify(failure)}`).not.toContain(key);
      }
    } finally {
      await db.close();
    }
  });

  it('leaves no timer running once closed', async () => {
    // A timer left behind holds a process that closed its app (a stopping instance, a test
    // worker) for as long as it runs, and fires in whatever that process runs next.
    const db = await SupabaseTenancyDb.open({ url: 'http://127.0.0.1:1', serviceRoleKey: 'key' });
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    try {
      await db.close();
      const cleared = new Set(clear.mock.calls.map(([timer]) => timer));
      const left = set.mock.calls.filter((_, i) => !cleared.has(set.mock.results[i].value as NodeJS.Timeout));
      expect(left.map(([, ms]) => ms)).toEqual([]);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('answers a select at once when the server is down or busy: one request, no hidden retries', async () => {
    // A PostgREST that cannot reach its database (PGRST001-style 503) and asks for a long wait.
    let requests = 0;
    const busy = http.createServer((_req, res) => {
      requests++;
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' });
      res.end(
        JSON.stringify({ code: 'PGRST001', message: 'Database client error. Retrying the connection.' }),
      );
    });
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    const atBusy = await SupabaseTenancyDb.open({ url: `http://127.0.0.1:${port}`, serviceRoleKey: 'k' });
    const atNothing = await SupabaseTenancyDb.open({ url: 'http://127.0.0.1:1', serviceRoleKey: 'k' });
    try {
      const started = Date.now();
      await expect(atBusy.select('organizations', { org_slug: 'a' })).rejects.toMatchObject({
        code: TenancyDbErrorCode.Unavailable,
      });
      expect(requests).toBe(1);
      await expect(atNothing.select('organizations')).rejects.toMatchObject({
        code: TenancyDbErrorCode.Unavailable,
      });
      // postgrest-js retried a GET three times, 1 + 2 + 4 s apart (or Retry-After's 30 s each).
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await atBusy.close();
      await atNothing.close();
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it("reads the platform's own statuses as an outage, or as a timeout when the call may have run", async () => {
    // Supabase's gateway and Cloudflare answer these themselves, without PostgREST's error body.
    let status = 0;
    const platform = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body>${status}</body></html>`);
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
    const { port } = platform.address() as AddressInfo;
    const db = await SupabaseTenancyDb.open({ url: `http://127.0.0.1:${port}`, serviceRoleKey: 'k' });
    const expected: [number, TenancyDbErrorCode][] = [
      [402, TenancyDbErrorCode.Unavailable],
      [429, TenancyDbErrorCode.Unavailable],
      [522, TenancyDbErrorCode.Unavailable],
      [540, TenancyDbErrorCode.Unavailable],
      [504, TenancyDbErrorCode.Timeout],
      [524, TenancyDbErrorCode.Timeout],
      [544, TenancyDbErrorCode.Timeout],
      [500, TenancyDbErrorCode.QueryFailed],
    ];
    try {
      for (const [answer, code] of expected) {
        status = answer;
        const reserve = db.rpc('reserve_pipeline_quota', {
          p_org_slug: 'o',
          p_run_id: 'r',
          p_pipeline_id: 'p',
        });
        await expect(reserve, `HTTP ${answer}`).rejects.toMatchObject({ code });
        await expect(db.select('organizations'), `HTTP ${answer}`).rejects.toMatchObject({ code });
      }
    } finally {
      await db.close();
      await new Promise((resolve) => platform.close(resolve));
    }
  });

  it("reads PostgREST's pool timeout (PGRST003, 504) as Unavailable: the statement never ran", async () => {
    const pool = http.createServer((_req, res) => {
      res.writeHead(504, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          code: 'PGRST003',
          details: null,
          hint: null,
          message: 'Timed out acquiring connection from connection pool.',
        }),
      );
    });
    await new Promise<void>((resolve) => pool.listen(0, '127.0.0.1', resolve));
    const { port } = pool.address() as AddressInfo;
    const db = await SupabaseTenancyDb.open({ url: `http://127.0.0.1:${port}`, serviceRoleKey: 'k' });
    try {
      const reserve = db.rpc('reserve_pipeline_quota', {
        p_org_slug: 'o',
        p_run_id: 'r',
        p_pipeline_id: 'p',
      });
      await expect(reserve).rejects.toMatchObject({ code: TenancyDbErrorCode.Unavailable });
      await expect(db.select('organizations')).rejects.toMatchObject({
        code: TenancyDbErrorCode.Unavailable,
      });
    } finally {
      await db.close();
      await new Promise((resolve) => pool.close(resolve));
    }
  });

  it('applies no migrations: Supabase tooling does', async () => {
    const db = await SupabaseTenancyDb.open({ url: 'http://127.0.0.1:1', serviceRoleKey: 'k' });
    expect(await db.migrate()).toEqual([]);
    await db.close();
  });
});
