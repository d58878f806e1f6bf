import { getMetadataStorage } from 'class-validator';
import { CENTRAL_DATASET, central, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { LogCapture } from '#test/log-capture';
import { onboardOrg } from '#test/org-onboarding';
import { dropTestSchema, postgresTenancyEnv, rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { READINESS_REUSE_MS } from '../apps/api/src/health/health.service.js';

describe('health, docs and bootstrap', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  beforeAll(async () => {
    // The native memory collector on, as a server runs by default (the harness turns it off).
    t = await startTestApp({ NATIVE_MEMORY_GC_MB: '256' });
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('serves /, /health and /health/live with version info', async () => {
    expect((await get('/')).json()).toMatchObject({
      service: 'finops-api',
      environment: 'development',
      docs: '/docs',
    });
    expect((await get('/health')).json()).toMatchObject({ status: 'healthy', service: 'finops-api' });
    expect((await get('/health/live')).json()).toMatchObject({ status: 'alive' });
  });

  it('takes the version and release from the validated configuration', async () => {
    const release = {
      APP_VERSION: 'v9.9.9',
      RELEASE_VERSION: 'r-42',
      RELEASE_TIMESTAMP: '2026-01-02T03:04:05Z',
    };
    const other = await startTestApp(release);
    try {
      const expected = { version: 'v9.9.9', release: 'r-42', release_timestamp: '2026-01-02T03:04:05Z' };
      for (const url of ['/', '/health', '/health/ready'])
        expect((await other.app.inject({ method: 'GET', url })).json()).toMatchObject(expected);
    } finally {
      await other.close();
    }
  });

  it('is ready when the warehouse, tenancy DB and central tables answer', async () => {
    const res = await get('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ready');
    expect(Object.keys(res.json().checks).sort()).toEqual(['encryption', 'setup', 'tenancy_db', 'warehouse']);
    expect(res.json().checks.encryption.status).toBe('ok');
  });

  describe('with a Cloud KMS key that does not answer', () => {
    const unusableKms = {
      KMS_KEY_NAME: 'projects/p/locations/global/keyRings/r/cryptoKeys/k',
      // Nothing listens on the discard port.
      KMS_API_ENDPOINT: 'http://127.0.0.1:9',
    };

    it('reports the encryption check failing, and stays ready: reads do not need the key', async () => {
      const kms = await startTestApp(unusableKms);
      try {
        const res = await kms.app.inject({ method: 'GET', url: '/health/ready' });
        expect(res.statusCode).toBe(200);
        expect(res.json().checks.encryption).toMatchObject({ status: 'failing', error: 'unavailable' });
      } finally {
        await kms.close();
      }
    });

    it('refuses to start in production, naming the emulator endpoint', async () => {
      // Production checks its key at start against Cloud KMS itself: an emulator endpoint, which
      // this check used to be run against, is refused before the engines open.
      const start = startTestApp({
        ...unusableKms,
        ENVIRONMENT: 'production',
        ALLOW_EMBEDDED_ENGINES: 'true',
        SINGLE_INSTANCE: 'true',
      });
      await expect(start).rejects.toThrow(/KMS_API_ENDPOINT: production refuses an emulator endpoint/);
    });
  });

  it('exposes Prometheus metrics by route and status', async () => {
    await get('/health');
    const res = await get('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    // The collections NativeMemoryGc ran, and their time (NATIVE_MEMORY_GC_MB, on by default).
    expect(res.body).toMatch(/^native_memory_collections_total \d+$/m);
    expect(res.body).toMatch(/^native_memory_collection_seconds_total [\d.e-]+$/m);
  });

  it('answers /metrics only to a scrape with METRICS_TOKEN when it is set, and never logs the token', async () => {
    const token = 'metrics-token-0123456789abcdefghijklmnop';
    const logs = new LogCapture();
    const secured = await startTestApp(
      { METRICS_TOKEN: token, LOG_LEVEL: 'debug' },
      { logDestination: logs },
    );
    try {
      const scrape = (authorization?: string) =>
        secured.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: authorization === undefined ? {} : { authorization },
        });
      const missing = await scrape();
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(missing.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
      expect((await scrape(`Bearer ${token}x`)).json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect((await scrape(`Basic ${token}`)).statusCode).toBe(401);
      const ok = await scrape(`Bearer ${token}`);
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('http_requests_total');
      expect(logs.lines.join('\n')).not.toContain(token);
    } finally {
      await secured.close();
    }
  });

  it('publishes an OpenAPI 3 document listing every route with its auth, and Swagger UI', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toMatchObject({
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      RootKey: { type: 'apiKey', in: 'header', name: 'X-CA-Root-Key' },
    });
    expect(doc.paths['/api/v1/admin/bootstrap'].post.security).toEqual([{ RootKey: [] }]);
    expect(doc.paths['/api/v1/admin/bootstrap/status'].get.security).toEqual([{ RootKey: [] }]);
    // Every reference resolves (a code generator stops at the first that does not).
    const refs = new Set<string>();
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.add(value);
      return value;
    });
    expect(refs.size).toBeGreaterThan(10);
    // Schemas and response headers alike: each JSON pointer names something in the document.
    expect([...refs].filter((r) => r.startsWith('#/components/headers/')).length).toBeGreaterThan(5);
    const resolve = (ref: string): unknown =>
      ref
        .slice(2)
        .split('/')
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\//);
      expect(resolve(ref), ref).toBeDefined();
    }
    const metrics = doc.paths['/metrics'].get;
    expect(Object.keys(metrics.responses['200'].content)).toEqual(['text/plain; version=0.0.4']);
    expect(metrics.security).toBeUndefined();
    const ui = await get('/docs');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
  });

  it('types every request field in the OpenAPI document (no field left a shapeless object)', async () => {
    const doc = (await get('/openapi.json')).json();
    type Schema = { type?: string; properties?: Record<string, Schema>; $ref?: string; [k: string]: unknown };
    const shapeless: string[] = [];
    const visit = (where: string, schema: Schema | undefined) => {
      if (!schema || schema.$ref) return;
      // What a DTO field without a type annotation becomes: `object` with nothing to say what.
      const named = ['properties', 'additionalProperties', 'allOf', 'oneOf', 'anyOf'];
      if (schema.type === 'object' && !named.some((k) => k in schema)) shapeless.push(where);
      for (const [name, child] of Object.entries(schema.properties ?? {})) visit(`${where}.${name}`, child);
    };
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, Schema>))
      visit(name, schema);
    for (const [path, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { parameters?: { name: string; schema?: Schema }[] }>>,
    ))
      for (const [method, op] of Object.entries(ops))
        for (const p of op.parameters ?? []) visit(`${method} ${path} ${p.name}`, p.schema);
    expect(shapeless).toEqual([]);
  });

  it('declares integer every body field the server holds to integers', async () => {
    const doc = (await get('/openapi.json')).json();
    const schemas = doc.components.schemas as Record<
      string,
      { properties?: Record<string, { type?: string }> }
    >;
    // class-validator keeps its rules by class in a map its types call private; read, never changed.
    type Rule = { name?: string; propertyName: string };
    const byClass = (
      getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, Rule[]> }
    ).validationMetadatas;
    const checked: string[] = [];
    const untyped: string[] = [];
    for (const [target, rules] of byClass)
      for (const rule of rules) {
        const property = schemas[target.name]?.properties?.[rule.propertyName];
        if (rule.name !== 'isInt' || !property) continue;
        checked.push(`${target.name}.${rule.propertyName}`);
        if (property.type !== 'integer') untyped.push(`${target.name}.${rule.propertyName}`);
      }
    expect(checked).toEqual(expect.arrayContaining(['UpdateSubscriptionRequestDto.daily_limit']));
    expect(untyped).toEqual([]);
  });

  it('reports SYNCED after the start-up bootstrap, and 409 on a second bootstrap', async () => {
    const status = await get('/api/v1/admin/bootstrap/status', rootHeaders);
    expect(status.json()).toMatchObject({
      status: 'SYNCED',
      dataset_exists: true,
      tables_expected: 30,
      tables_missing: [],
    });
    expect(status.json().tables_existing).toHaveLength(30);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap',
      headers: rootHeaders,
      payload: {},
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ALREADY_BOOTSTRAPPED');
  });

  it('detects a missing table and column, and sync adds them back without dropping anything', async () => {
    const registry = t.app.get(SchemaRegistry);
    await warehouse.dropTable(CENTRAL_DATASET, 'org_chat_tool_calls');
    // An older shape of org_cost_tracking: one column missing, one the registry does not know.
    const tracking = registry.centralTable('org_cost_tracking');
    await warehouse.dropTable(CENTRAL_DATASET, 'org_cost_tracking');
    await warehouse.ensureTable(CENTRAL_DATASET, {
      ...tracking,
      fields: [
        ...tracking.fields.filter((f) => f.name !== 'cost_breakdown'),
        { name: 'legacy_note', type: 'STRING', mode: 'NULLABLE' },
      ],
    });
    const status = (await get('/api/v1/admin/bootstrap/status?force_refresh=true', rootHeaders)).json();
    expect(status).toMatchObject({
      status: 'OUT_OF_SYNC',
      tables_missing: ['org_chat_tool_calls'],
      schema_diffs: {
        org_cost_tracking: { missing_columns: ['cost_breakdown'], extra_columns: ['legacy_note'] },
      },
    });
    const nothing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap/sync',
      headers: rootHeaders,
      payload: { sync_missing_tables: false },
    });
    // Nothing changed, as asked; but the tables are not "in sync", and the message says so.
    expect(nothing.json()).toMatchObject({ status: 'SUCCESS', tables_created: [], columns_added: {} });
    expect(nothing.json().message).toBe(
      'Created 0 table(s), added columns to 0. 1 missing table(s) left out (sync_missing_tables=false). ' +
        '1 table(s) missing columns left as they are (sync_missing_columns=false).',
    );
    const tablesOnly = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap/sync',
      headers: rootHeaders,
      payload: {},
    });
    expect(tablesOnly.json()).toMatchObject({
      status: 'SUCCESS',
      tables_created: ['org_chat_tool_calls'],
      columns_added: {},
    });
    const columns = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap/sync',
      headers: rootHeaders,
      payload: { sync_missing_columns: true },
    });
    expect(columns.json()).toMatchObject({
      status: 'SUCCESS',
      tables_created: [],
      columns_added: { org_cost_tracking: ['cost_breakdown'] },
    });
    const after = (await get('/api/v1/admin/bootstrap/status?force_refresh=true', rootHeaders)).json();
    expect(after.status).toBe('SYNCED');
    expect(after.schema_diffs).toEqual({
      org_cost_tracking: { missing_columns: [], extra_columns: ['legacy_note'] },
    });
    expect(registry.centralTables()).toHaveLength(30);
  });

  it('reports a REQUIRED column a sync added as NULLABLE while rows hold NULL in it, not as in sync', async () => {
    const registry = t.app.get(SchemaRegistry);
    const tracking = registry.centralTable('org_cost_tracking');
    // An older shape without the REQUIRED `unit`, holding a row.
    await warehouse.dropTable(CENTRAL_DATASET, 'org_cost_tracking');
    await warehouse.ensureTable(CENTRAL_DATASET, {
      ...tracking,
      fields: tracking.fields.filter((f) => f.name !== 'unit'),
    });
    const ref = { dataset: CENTRAL_DATASET, table: 'org_cost_tracking' };
    await warehouse.insertRows(ref, [
      {
        cost_id: 'c1',
        org_slug: 'acme',
        usage_date: '2026-12-01',
        resource_type: 'query',
        quantity: 1,
        created_at: new Date(),
      },
    ]);
    const sync = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap/sync',
        headers: rootHeaders,
        payload: { sync_missing_columns: true },
      });
    const status = async () =>
      (await get('/api/v1/admin/bootstrap/status?force_refresh=true', rootHeaders)).json();
    try {
      const added = (await sync()).json();
      // Added (NULLABLE: BigQuery adds no REQUIRED column to a table that exists), but not "SUCCESS".
      expect(added).toMatchObject({ status: 'PARTIAL', columns_added: { org_cost_tracking: ['unit'] } });
      expect(added.errors).toEqual([
        expect.stringContaining('org_cost_tracking.unit: REQUIRED, yet NULL in 1 row(s)'),
      ]);
      const after = await status();
      expect(after.status).toBe('OUT_OF_SYNC');
      expect(after.schema_diffs.org_cost_tracking).toEqual({
        missing_columns: [],
        extra_columns: [],
        nulls_in_required_columns: { unit: 1 },
      });
      expect(after.message).toContain('org_cost_tracking.unit');
      expect((await sync()).json()).toMatchObject({ status: 'PARTIAL', columns_added: {} });
      // Filled by hand: in sync (the column stays NULLABLE, which BigQuery cannot tighten).
      await warehouse.query(`UPDATE ${central('org_cost_tracking')} SET unit = 'queries' WHERE unit IS NULL`);
      expect(await status()).toMatchObject({ status: 'SYNCED', schema_diffs: {} });
      expect((await sync()).json()).toMatchObject({ status: 'SUCCESS', errors: [] });
    } finally {
      await warehouse.dropTable(CENTRAL_DATASET, 'org_cost_tracking');
      await warehouse.ensureTable(CENTRAL_DATASET, tracking);
    }
  });

  it('does not keep a status read that saw the tables before a sync finished', async () => {
    const registry = t.app.get(SchemaRegistry);
    await warehouse.dropTable(CENTRAL_DATASET, 'org_chat_tool_calls');
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const listTables = warehouse.listTables.bind(warehouse);
    const spy = vi.spyOn(warehouse, 'listTables').mockImplementationOnce(async (...args) => {
      const tables = await listTables(...args);
      await gate;
      return tables;
    });
    try {
      const slow = get('/api/v1/admin/bootstrap/status?force_refresh=true', rootHeaders);
      await vi.waitFor(() => expect(spy).toHaveBeenCalled());
      const synced = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap/sync',
        headers: rootHeaders,
        payload: {},
      });
      expect(synced.json()).toMatchObject({ tables_created: ['org_chat_tool_calls'] });
      release();
      expect((await slow).json().status).toBe('OUT_OF_SYNC');
    } finally {
      release();
      spy.mockRestore();
    }
    // Not the half-way view above, kept for a minute.
    expect((await get('/api/v1/admin/bootstrap/status', rootHeaders)).json().status).toBe('SYNCED');
    expect(registry.centralTables()).toHaveLength(30);
  });

  it('force_recreate_tables rebuilds the tables from the registry, and no org key passes after it', async () => {
    const { org, key } = await onboardOrg(t, 'recreate', 'Recreate Co');
    const stats = () => get(`/api/v1/costs/${org}/cache/stats`, { 'x-api-key': key });
    expect((await stats()).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap',
      headers: rootHeaders,
      payload: { force_recreate_tables: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'SUCCESS', dataset_created: false, total_tables: 30 });
    expect(res.json().tables_created).toHaveLength(30);
    expect(res.json().schema_validation).toMatchObject({ valid: true, errors: [], tables_validated: 30 });
    // The key's table was recreated empty: refused at once, not after AUTH_CACHE_TTL_MS.
    expect((await stats()).statusCode).toBe(401);
  });

  it('refuses a bootstrap body with an unknown field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/bootstrap',
      headers: rootHeaders,
      payload: { force: true },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].field).toBe('force');
  });
});

describe('readiness under many probes', () => {
  it('checks the engines once for concurrent and back-to-back probes', async () => {
    const t = await startTestApp();
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const ping = warehouse.ping.bind(warehouse);
      let pings = 0;
      warehouse.ping = (ms) => {
        pings++;
        return ping(ms);
      };
      const described = vi.spyOn(warehouse, 'describeTable');
      const probe = () => t.app.inject({ method: 'GET', url: '/health/ready' });
      const statuses = (await Promise.all(Array.from({ length: 20 }, probe))).map((r) => r.statusCode);
      statuses.push((await probe()).statusCode);
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(pings).toBe(1);
      // Checked again once the result has served its time.
      await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      expect((await probe()).statusCode).toBe(200);
      expect(pings).toBe(2);
      // The setup tables' columns, found complete, are not described (a BigQuery tables.get each) again.
      expect(described).toHaveBeenCalledTimes(2);
    } finally {
      await t.close();
    }
  });
});

describe('readiness with a central table the key lookup reads lacking columns', () => {
  it('answers 503 naming the setup check, as every org key would be answered then', async () => {
    const t = await startTestApp();
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      const { key } = await onboardOrg(t, 'oldkeys', 'Old Keys Co');
      // The replaced system's org_api_keys: no key_fingerprint, which the key lookup selects.
      const keys = t.app.get(SchemaRegistry).centralTable('org_api_keys');
      await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
      await warehouse.ensureTable(CENTRAL_DATASET, {
        ...keys,
        fields: keys.fields.filter((f) => f.name !== 'key_fingerprint'),
      });
      const read = await t.app.inject({
        method: 'GET',
        url: '/api/v1/costs/oldkeys/cache/stats',
        headers: { 'x-api-key': key },
      });
      expect(read.statusCode).toBe(503);
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ failing: ['setup'] });
      expect(res.json().checks.setup.error).toBe(
        'org_api_keys lacks columns; POST /api/v1/admin/bootstrap/sync',
      );
      // Without the table at all, the check says so too (it read "unavailable", as if the engine were down).
      await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
      await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      const gone = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(gone.json().checks.setup.error).toBe('missing org_api_keys; POST /api/v1/admin/bootstrap/sync');
    } finally {
      await t.close();
    }
  });
});

describe('readiness with a failing engine', () => {
  it('answers 503 naming the failing check', async () => {
    const t = await startTestApp({ HEALTH_CHECK_TIMEOUT_MS: '300' });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      warehouse.ping = () => new Promise(() => undefined);
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        code: 'NOT_READY',
        failing: ['warehouse'],
        checks: { warehouse: { status: 'failing', error: 'timeout' } },
      });
    } finally {
      await t.close();
    }
  });
});

describe('readiness with an engine that hangs', () => {
  it('waits for the check still running rather than start another on the hung engine at each probe', async () => {
    const t = await startTestApp({ HEALTH_CHECK_TIMEOUT_MS: '200' });
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      // A warehouse whose calls never come back (a stalled connection: no error, no answer).
      let hung: () => void = () => undefined;
      const stalled = new Promise<void>((resolve) => (hung = resolve));
      let pings = 0;
      warehouse.ping = () => (pings++, stalled);
      const probe = async () => {
        const started = performance.now();
        const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
        return { res, ms: performance.now() - started };
      };
      for (let i = 0; i < 3; i++) {
        const { res, ms } = await probe();
        expect(res.statusCode).toBe(503);
        expect(res.json().checks.warehouse).toMatchObject({ status: 'failing', error: 'timeout' });
        // Each probe still answers within the timeout (200 ms; slack for a loaded machine).
        expect(ms).toBeLessThan(2_500);
        await new Promise((resolve) => setTimeout(resolve, READINESS_REUSE_MS + 50));
      }
      // One call waits on the engine, not one more every probe.
      expect(pings).toBe(1);
      // Once that call comes back, the next probe checks the engine anew.
      hung();
      await stalled;
      expect((await probe()).res.statusCode).toBe(200);
      expect(pings).toBe(2);
    } finally {
      await t.close();
    }
  });
});

describe('rate limits', () => {
  it('limits admin calls per root key with Retry-After in seconds', async () => {
    const t = await startTestApp({ RATE_LIMIT_ADMIN_PER_MINUTE: '2' });
    try {
      const call = () =>
        t.app.inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status', headers: rootHeaders });
      expect((await call()).statusCode).toBe(200);
      expect((await call()).statusCode).toBe(200);
      const limited = await call();
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // The refusing limit's headers, as on the admitted requests.
      expect(limited.headers).toMatchObject({
        'x-ratelimit-limit-admin': '2',
        'x-ratelimit-remaining-admin': '0',
        'x-ratelimit-reset-admin': limited.headers['retry-after-admin'],
      });
      expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('counts made-up keys against the client IP, not a fresh limit per key', async () => {
    const made = (i: number) => `made_up_key_${i}_${Math.random().toString(36).slice(2)}_0123456789`;
    const statuses = async (t: TestApp, url: string, header: string) => {
      const out: number[] = [];
      for (const i of [1, 2, 3])
        out.push((await t.app.inject({ method: 'GET', url, headers: { [header]: made(i) } })).statusCode);
      return out;
    };
    const admin = await startTestApp({ RATE_LIMIT_ADMIN_PER_MINUTE: '2', AUTH_FAILURES_PER_MINUTE: '2' });
    try {
      // Guessing the root key: refused, then limited like any unauthenticated caller.
      expect(await statuses(admin, '/api/v1/admin/bootstrap/status', 'x-ca-root-key')).toEqual([
        403, 403, 429,
      ]);
      // The same with a body: refused before it is read, and held to the failures its address may
      // have (the two above), so guesses meet one bound whatever the route.
      const withBody = [];
      for (const i of [4, 5, 6])
        withBody.push(
          (
            await admin.app.inject({
              method: 'POST',
              url: '/api/v1/admin/bootstrap',
              headers: { 'x-ca-root-key': made(i), 'content-type': 'application/json' },
              payload: '{}',
            })
          ).statusCode,
        );
      expect(withBody).toEqual([429, 429, 429]);
      // The real key is never held back by the guesses, with a body or without.
      const realPost = await admin.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: { ...rootHeaders, 'content-type': 'application/json' },
        payload: '{}',
      });
      expect([403, 429]).not.toContain(realPost.statusCode);
      // The real key keeps a limit of its own.
      const real = await admin.app.inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: rootHeaders,
      });
      expect(real.statusCode).toBe(200);
    } finally {
      await admin.close();
    }
    // Unknown org keys share the IP's reads limit too.
    const reads = await startTestApp({ RATE_LIMIT_READS_PER_MINUTE: '2' });
    try {
      expect(await statuses(reads, '/api/v1/costs/acme_corp/summary', 'x-api-key')).toEqual([401, 401, 429]);
    } finally {
      await reads.close();
    }
  });
});

describe('with a Redis that does not answer', () => {
  it('stays ready, reports it, and still enforces the rate limits on this instance', async () => {
    const rootKey = `unreachable_redis_root_${Date.now()}_padding_padding`;
    // Nothing listens on port 1: the connection is refused and retried in the background.
    const t = await startTestApp({
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_ADMIN_PER_MINUTE: '2',
      CA_ROOT_API_KEY: rootKey,
    });
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      // Told at once, not after a PING waited out the command timeout in the offline queue.
      expect(ready.json().checks.redis).toMatchObject({ status: 'failing', error: 'not connected' });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await t.app.inject({
              method: 'GET',
              url: '/api/v1/admin/bootstrap/status',
              headers: { 'x-ca-root-key': rootKey },
            })
          ).statusCode,
        );
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('rate limits shared through Redis', () => {
  it('reports Redis in the readiness checks', async () => {
    const t = await startTestApp({ REDIS_URL: process.env.TEST_REDIS_URL as string });
    try {
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().checks.redis).toMatchObject({ status: 'ok' });
    } finally {
      await t.close();
    }
  });

  it('counts one limit across two app instances', async () => {
    // A root key of its own, so counters left in Redis by an earlier run cannot interfere.
    const rootKey = `rate_limit_root_${Date.now()}_${Math.random().toString(36).slice(2)}_padding`;
    const env = {
      RATE_LIMIT_ADMIN_PER_MINUTE: '3',
      REDIS_URL: process.env.TEST_REDIS_URL as string,
      CA_ROOT_API_KEY: rootKey,
    };
    const headers = { 'x-ca-root-key': rootKey };
    const [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    try {
      const statuses: number[] = [];
      for (const t of [a, b, a, b]) {
        statuses.push(
          (await t.app.inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status', headers })).statusCode,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('the app on the machine PostgreSQL', () => {
  it('migrates its schema at start and is ready', async () => {
    const env = postgresTenancyEnv();
    const t = await startTestApp(env);
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json().checks.tenancy_db.status).toBe('ok');
      const db = t.app.get<TenancyDb>(TENANCY_DB);
      expect(db.driver).toBe('postgres');
      expect(await db.select('organizations')).toEqual([]);
    } finally {
      await t.close();
      await dropTestSchema(env);
    }
  });
});

describe('bootstraps sent at once', () => {
  it('runs them one after another: the first creates the dataset, the others find it (409)', async () => {
    const fresh = await startTestApp({ BOOTSTRAP_ON_START: 'false' });
    try {
      const post = (url: string, payload: object) =>
        fresh.app.inject({ method: 'POST', url, headers: rootHeaders, payload });
      const answers = await Promise.all([1, 2, 3, 4].map(() => post('/api/v1/admin/bootstrap', {})));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409, 409]);
      expect(answers.find((a) => a.statusCode === 200)!.json()).toMatchObject({
        dataset_created: true,
        total_tables: 30,
      });
      await fresh.app.get<Warehouse>(WAREHOUSE).dropTable(CENTRAL_DATASET, 'org_chat_tool_calls');
      const syncs = await Promise.all([1, 2].map(() => post('/api/v1/admin/bootstrap/sync', {})));
      // One sync creates the table; the other, after it, finds nothing to do.
      expect(syncs.map((r) => r.json().tables_created).sort()).toEqual([[], ['org_chat_tool_calls']]);
    } finally {
      await fresh.close();
    }
  });

  it('answers 409 to a bootstrap that finds the dataset made by another instance since its check', async () => {
    const t = await startTestApp();
    try {
      const warehouse = t.app.get<Warehouse>(WAREHOUSE);
      // Checked before another instance's bootstrap created it; BigQuery then answers the
      // creation 409 Already Exists, which the driver reads as "was there".
      vi.spyOn(warehouse, 'datasetExists').mockResolvedValueOnce(false);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: rootHeaders,
        payload: {},
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('ALREADY_BOOTSTRAPPED');
    } finally {
      await t.close();
    }
  });
});
