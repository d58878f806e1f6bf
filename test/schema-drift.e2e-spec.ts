import { CENTRAL_DATASET, type FieldSchema, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { bigQueryAppForAll } from '#test/bigquery-app';
import { onboardOrg } from '#test/org-onboarding';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const retype = (fields: FieldSchema[], changes: Record<string, Partial<FieldSchema>>): FieldSchema[] =>
  fields.map((f) => (changes[f.name] ? { ...f, ...changes[f.name] } : f));

const statusOf = async (t: TestApp, url: string) => {
  const res = await t.app.inject({ method: 'GET', url, headers: rootHeaders });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ status: string; schema_diffs: Record<string, unknown>; message: string }>();
};

/**
 * A column of another type than the registry's (a hand-made table, an old migration) breaks the
 * reads and writes of that column while every name matches: bootstrap and org status reported
 * SYNCED, and only the failing queries said otherwise.
 */
describe('schema drift in column types', () => {
  describe('on the embedded warehouse', () => {
    let t: TestApp;
    let warehouse: Warehouse;
    let registry: SchemaRegistry;
    beforeAll(async () => {
      t = await startTestApp();
      warehouse = t.app.get<Warehouse>(WAREHOUSE);
      registry = t.app.get(SchemaRegistry);
    });
    afterAll(() => t.close());

    it('reports a central column of another type as OUT_OF_SYNC, which a sync leaves as it is', async () => {
      const keys = registry.centralTable('org_api_keys');
      await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
      await warehouse.ensureTable(CENTRAL_DATASET, {
        ...keys,
        // A key's scopes as one text, and its encrypted copy as text rather than bytes.
        fields: retype(keys.fields, {
          scopes: { mode: 'NULLABLE' },
          encrypted_org_api_key: { type: 'STRING' },
        }),
      });
      try {
        const status = await statusOf(t, '/api/v1/admin/bootstrap/status?force_refresh=true');
        expect(status.status).toBe('OUT_OF_SYNC');
        expect(status.schema_diffs).toEqual({
          org_api_keys: {
            missing_columns: [],
            extra_columns: [],
            type_mismatches: [
              { column: 'encrypted_org_api_key', expected: 'BYTES', actual: 'STRING' },
              { column: 'scopes', expected: 'ARRAY<STRING>', actual: 'STRING' },
            ],
          },
        });
        expect(status.message).toContain(
          'Column(s) of another type, which no sync changes: org_api_keys.encrypted_org_api_key (STRING, not BYTES), org_api_keys.scopes (STRING, not ARRAY<STRING>).',
        );
        const sync = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/bootstrap/sync',
          headers: rootHeaders,
          payload: { sync_missing_columns: true },
        });
        // Not "Already in sync - no changes needed" beside a status that says OUT_OF_SYNC.
        expect(sync.json()).toMatchObject({ status: 'PARTIAL', tables_created: [], columns_added: {} });
        expect(sync.json().errors).toEqual([
          expect.stringContaining('org_api_keys.encrypted_org_api_key: STRING, not BYTES;'),
          expect.stringContaining('org_api_keys.scopes: STRING, not ARRAY<STRING>;'),
        ]);
        expect(sync.json().message).not.toContain('Already in sync');
        expect((await statusOf(t, '/api/v1/admin/bootstrap/status?force_refresh=true')).status).toBe(
          'OUT_OF_SYNC',
        );
      } finally {
        await warehouse.dropTable(CENTRAL_DATASET, 'org_api_keys');
        await warehouse.ensureTable(CENTRAL_DATASET, keys);
      }
      const repaired = await statusOf(t, '/api/v1/admin/bootstrap/status?force_refresh=true');
      expect(repaired.status).toBe('SYNCED');
      expect(repaired.schema_diffs).toEqual({});
    });

    it('reports a central column the warehouse holds NOT NULL where the registry allows NULL', async () => {
      const tracking = registry.centralTable('org_cost_tracking');
      await warehouse.dropTable(CENTRAL_DATASET, 'org_cost_tracking');
      // An older shape where the provider was REQUIRED: every write without one is refused.
      await warehouse.ensureTable(CENTRAL_DATASET, {
        ...tracking,
        fields: retype(tracking.fields, { provider: { mode: 'REQUIRED' } }),
      });
      try {
        const status = await statusOf(t, '/api/v1/admin/bootstrap/status?force_refresh=true');
        expect(status.status).toBe('OUT_OF_SYNC');
        expect(status.schema_diffs).toEqual({
          org_cost_tracking: {
            missing_columns: [],
            extra_columns: [],
            type_mismatches: [{ column: 'provider', expected: 'STRING', actual: 'STRING NOT NULL' }],
          },
        });
      } finally {
        await warehouse.dropTable(CENTRAL_DATASET, 'org_cost_tracking');
        await warehouse.ensureTable(CENTRAL_DATASET, tracking);
      }
    });

    it("reports an org table's column of another type in the org's status", async () => {
      const { org } = await onboardOrg(t, 'drift', 'Drift Co');
      const url = `/api/v1/organizations/${org}/status`;
      expect(await statusOf(t, url)).toMatchObject({ status: 'SYNCED', schema_diffs: {} });
      const plans = registry.orgTable('subscription_plans');
      const dataset = `${org}_local`;
      const money = plans.fields.find((f) => f.type === 'NUMERIC' || f.type === 'FLOAT')!;
      await warehouse.dropTable(dataset, 'subscription_plans');
      await warehouse.ensureTable(dataset, {
        ...plans,
        fields: retype(plans.fields, { [money.name]: { type: 'STRING' } }),
      });
      const status = await statusOf(t, url);
      expect(status.status).toBe('OUT_OF_SYNC');
      expect(status.schema_diffs).toEqual({
        subscription_plans: {
          missing_columns: [],
          extra_columns: [],
          type_mismatches: [
            {
              column: money.name,
              expected: money.type === 'FLOAT' ? 'FLOAT64' : 'NUMERIC',
              actual: 'STRING',
            },
          ],
        },
      });
    });
  });

  describe('on BigQuery, which describes columns by their legacy type names', () => {
    const bq = bigQueryAppForAll();

    it('reads INTEGER, FLOAT, BOOLEAN and RECORD as their standard names, and a column BigQuery changed as drift', async () => {
      const url = '/api/v1/admin/bootstrap/status?force_refresh=true';
      expect(await statusOf(bq.t, url)).toMatchObject({ status: 'SYNCED', schema_diffs: {} });
      const table = bq.fake.table(CENTRAL_DATASET, 'org_cost_tracking') as {
        schema: { fields: { name: string; type: string }[] };
      };
      const quantity = table.schema.fields.find((f) => f.name === 'quantity')!;
      expect(quantity.type).toBe('INTEGER');
      quantity.type = 'FLOAT';
      try {
        const status = await statusOf(bq.t, url);
        expect(status.status).toBe('OUT_OF_SYNC');
        expect(status.schema_diffs).toEqual({
          org_cost_tracking: {
            missing_columns: [],
            extra_columns: [],
            type_mismatches: [{ column: 'quantity', expected: 'INT64', actual: 'FLOAT64' }],
          },
        });
      } finally {
        quantity.type = 'INTEGER';
      }
    });
  });
});
