import { CENTRAL_DATASET, central, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

describe('bootstrap', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  beforeAll(async () => {
    t = await startTestApp();
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

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

  it('refuses the keys of the dropped tables also when a later table fails (500)', async () => {
    const { org, key } = await onboardOrg(t, 'recreatefails', 'Recreate Fails Co');
    const stats = () => get(`/api/v1/costs/${org}/cache/stats`, { 'x-api-key': key });
    expect((await stats()).statusCode).toBe(200);
    const registry = t.app.get(SchemaRegistry);
    const ensureTable = warehouse.ensureTable.bind(warehouse);
    // org_api_keys and org_profiles are recreated (empty) before the last table fails.
    const spy = vi.spyOn(warehouse, 'ensureTable').mockImplementation(async (dataset, schema) => {
      if (schema.name === 'org_usage_quotas') throw new Error('warehouse went away');
      return ensureTable(dataset, schema);
    });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: rootHeaders,
        payload: { force_recreate_tables: true },
      });
      expect(res.statusCode).toBe(500);
    } finally {
      spy.mockRestore();
      await warehouse.ensureTable(CENTRAL_DATASET, registry.centralTable('org_usage_quotas'));
    }
    // Its row went with the table: refused at once, not after AUTH_CACHE_TTL_MS.
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

  it('leaves a fresh system not bootstrapped after a sync told to leave the tables out', async () => {
    const fresh = await startTestApp({ BOOTSTRAP_ON_START: 'false' });
    try {
      const post = (url: string, payload: object) =>
        fresh.app.inject({ method: 'POST', url, headers: rootHeaders, payload });
      const sync = await post('/api/v1/admin/bootstrap/sync', { sync_missing_tables: false });
      expect(sync.json()).toMatchObject({ status: 'SUCCESS', tables_created: [] });
      expect(sync.json().message).toContain('30 missing table(s) left out');
      const status = await fresh.app.inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: rootHeaders,
      });
      expect(status.json()).toMatchObject({ status: 'NOT_BOOTSTRAPPED', dataset_exists: false });
      // Not 409 "System already bootstrapped" for an empty dataset.
      const bootstrap = await post('/api/v1/admin/bootstrap', {});
      expect(bootstrap.statusCode).toBe(200);
      expect(bootstrap.json()).toMatchObject({ dataset_created: true, total_tables: 30 });
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
