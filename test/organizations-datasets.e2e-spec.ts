import type { LightMyRequestResponse } from 'fastify';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type TableSchema, type Warehouse } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { dropTestSchema, postgresTenancyEnv, rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = {
  RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
  RATE_LIMIT_WRITES_PER_MINUTE: '100000',
  RATE_LIMIT_READS_PER_MINUTE: '100000',
};

type Inject = Exclude<Parameters<TestApp['app']['inject']>[0], string>;

/** The status and the stable problem code together, so a failure shows both. */
const expectProblem = (res: LightMyRequestResponse, status: number, code: string) =>
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });

/**
 * Scenarios of the organizations module through the real app, run once per tenancy-DB
 * engine: the embedded PGlite always, the machine's PostgreSQL when TEST_DATABASE_URL is set.
 */
function scenarios(engine: string, engineEnv: () => Record<string, string>) {
  describe(`organizations: org datasets on ${engine}`, () => {
    let t: TestApp;
    let env: Record<string, string>;
    let warehouse: Warehouse;
    let registry: SchemaRegistry;

    beforeAll(async () => {
      env = engineEnv();
      t = await startTestApp({ ...NO_LIMITS, ...env });
      warehouse = t.app.get<Warehouse>(WAREHOUSE);
      registry = t.app.get(SchemaRegistry);
    });
    afterAll(async () => {
      await t?.close();
      if (env.TENANCY_DB_SCHEMA) await dropTestSchema(env);
    });

    const inject = (opts: Inject) => t.app.inject(opts);
    const root = (method: Inject['method'], url: string, payload?: object) =>
      inject({ method, url, headers: rootHeaders, ...(payload ? { payload } : {}) });
    const companyOf = (org: string) => `Company ${org.replace(/_/g, ' ')}`;
    const emailOf = (org: string) => `admin+${org}@example.com`;
    const onboardBody = (org: string, extra: Record<string, unknown> = {}) => ({
      org_slug: org,
      company_name: companyOf(org),
      admin_email: emailOf(org),
      ...extra,
    });
    const onboard = async (extra: Record<string, unknown> = {}, org = anOrgSlug('onb')) => {
      const res = await root('POST', '/api/v1/organizations/onboard', onboardBody(org, extra));
      expect(res.statusCode, res.body).toBe(200);
      return { org, key: res.json().api_key as string, body: res.json() };
    };

    describe('dataset status, sync and repair', () => {
      it('reports SYNCED after onboarding and NOT_FOUND (200) for an unknown org', async () => {
        const { org } = await onboard();
        expect((await root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
          org_slug: org,
          status: 'SYNCED',
          dataset_exists: true,
          profile_exists: true,
          tables_expected: 19,
          tables_missing: [],
          schema_diffs: {},
        });
        const unknown = await root('GET', `/api/v1/organizations/${anOrgSlug('none')}/status`);
        expect(unknown.statusCode).toBe(200);
        expect(unknown.json()).toMatchObject({
          status: 'NOT_FOUND',
          profile_exists: false,
          tables_expected: 0,
        });
      });

      it('sync creates missing tables with the registry partitioning and clustering, and columns on request', async () => {
        const { org } = await onboard();
        const dataset = `${org}_local`;
        const cost = registry.orgTable('cost_data_standard_1_3');
        await warehouse.dropTable(dataset, 'cost_data_standard_1_3');
        const plans = registry.orgTable('subscription_plans');
        await warehouse.dropTable(dataset, 'subscription_plans');
        await warehouse.ensureTable(dataset, {
          ...plans,
          fields: plans.fields.filter((f) => f.name !== 'notes'),
        });
        const status = (await root('GET', `/api/v1/organizations/${org}/status`)).json();
        expect(status).toMatchObject({
          status: 'OUT_OF_SYNC',
          tables_missing: ['cost_data_standard_1_3'],
          schema_diffs: { subscription_plans: { missing_columns: ['notes'], extra_columns: [] } },
        });
        const created: TableSchema[] = [];
        const ensureTable = warehouse.ensureTable.bind(warehouse);
        warehouse.ensureTable = (ds, schema) => {
          created.push(schema);
          return ensureTable(ds, schema);
        };
        try {
          const res = await root('POST', `/api/v1/organizations/${org}/sync`, { sync_missing_columns: true });
          expect(res.json()).toMatchObject({
            org_slug: org,
            status: 'SUCCESS',
            dataset_created: false,
            tables_created: ['cost_data_standard_1_3'],
            columns_added: { subscription_plans: ['notes'] },
            views_created: [],
            errors: [],
          });
        } finally {
          warehouse.ensureTable = ensureTable;
        }
        expect(created[0]).toMatchObject({
          timePartitioning: cost.timePartitioning,
          clustering: cost.clustering,
        });
        expect(cost.timePartitioning).toBeDefined();
        expect((await root('GET', `/api/v1/organizations/${org}/status`)).json().status).toBe('SYNCED');
      });

      it('rebuilds a dropped dataset with its views; recreate_views rebuilds the views', async () => {
        const { org } = await onboard();
        await warehouse.dropDataset(`${org}_local`);
        expect((await root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
          status: 'PROFILE_ONLY',
          tables_missing: ['(entire dataset)'],
        });
        const res = (await root('POST', `/api/v1/organizations/${org}/sync`, {})).json();
        expect(res).toMatchObject({ status: 'SUCCESS', dataset_created: true });
        expect(res.tables_created).toHaveLength(19);
        expect(res.views_created.sort()).toEqual(
          registry
            .orgViews()
            .map((v) => v.name)
            .sort(),
        );
        const again = (
          await root('POST', `/api/v1/organizations/${org}/sync`, { recreate_views: true })
        ).json();
        expect(again).toMatchObject({ tables_created: [], views_created: res.views_created });
        expect(
          Number((await warehouse.query(`SELECT COUNT(*) AS n FROM \`${org}_local.x_org_hierarchy\``))[0].n),
        ).toBe(20);
      });

      it('sync refuses unknown (404) and inactive (400) orgs', async () => {
        expectProblem(
          await root('POST', `/api/v1/organizations/${anOrgSlug('none')}/sync`, {}),
          404,
          'ORG_NOT_FOUND',
        );
        const { org } = await onboard();
        await warehouse.execute(
          `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
          { org },
        );
        expectProblem(await root('POST', `/api/v1/organizations/${org}/sync`, {}), 400, 'ORG_NOT_ACTIVE');
      });

      it('repair-tables creates exactly the missing tables', async () => {
        const { org } = await onboard();
        await warehouse.dropTable(`${org}_local`, 'genai_payg_pricing');
        await warehouse.dropTable(`${org}_local`, 'cloud_aws_billing_raw_daily');
        const res = await root('POST', `/api/v1/${org}/repair-tables`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({
          org_slug: org,
          dataset_id: `${org}_local`,
          tables_created: ['cloud_aws_billing_raw_daily', 'genai_payg_pricing'],
          tables_failed: [],
        });
        expect(res.json().tables_existing).toHaveLength(17);
        expectProblem(await root('POST', `/api/v1/${anOrgSlug('none')}/repair-tables`), 404, 'ORG_NOT_FOUND');
      });
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
