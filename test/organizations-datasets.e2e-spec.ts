import { CENTRAL_DATASET, type TableSchema } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectProblem } from '#test/org-onboarding';
import { OrgCreationLock } from '../apps/api/src/organizations/org-creation-lock.js';

describeOnEngines('organizations: org datasets', (h) => {
  describe('dataset status, sync and repair', () => {
    it('reports SYNCED after onboarding and NOT_FOUND (200) for an unknown org', async () => {
      const { org } = await h.onboard();
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        org_slug: org,
        status: 'SYNCED',
        dataset_exists: true,
        profile_exists: true,
        tables_expected: 19,
        tables_missing: [],
        schema_diffs: {},
      });
      const unknown = await h.root('GET', `/api/v1/organizations/${anOrgSlug('none')}/status`);
      expect(unknown.statusCode).toBe(200);
      expect(unknown.json()).toMatchObject({
        status: 'NOT_FOUND',
        profile_exists: false,
        tables_expected: 0,
      });
    });

    it('sync creates missing tables with the registry partitioning and clustering, and columns on request', async () => {
      const { org } = await h.onboard();
      const dataset = `${org}_local`;
      const cost = h.registry.orgTable('cost_data_standard_1_3');
      await h.warehouse.dropTable(dataset, 'cost_data_standard_1_3');
      const plans = h.registry.orgTable('subscription_plans');
      await h.warehouse.dropTable(dataset, 'subscription_plans');
      await h.warehouse.ensureTable(dataset, {
        ...plans,
        fields: plans.fields.filter((f) => f.name !== 'notes'),
      });
      const status = (await h.root('GET', `/api/v1/organizations/${org}/status`)).json();
      expect(status).toMatchObject({
        status: 'OUT_OF_SYNC',
        tables_missing: ['cost_data_standard_1_3'],
        schema_diffs: { subscription_plans: { missing_columns: ['notes'], extra_columns: [] } },
      });
      const created: TableSchema[] = [];
      const ensureTable = h.warehouse.ensureTable.bind(h.warehouse);
      h.warehouse.ensureTable = (ds, schema) => {
        created.push(schema);
        return ensureTable(ds, schema);
      };
      try {
        const res = await h.root('POST', `/api/v1/organizations/${org}/sync`, { sync_missing_columns: true });
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
        h.warehouse.ensureTable = ensureTable;
      }
      expect(created[0]).toMatchObject({
        timePartitioning: cost.timePartitioning,
        clustering: cost.clustering,
      });
      expect(cost.timePartitioning).toBeDefined();
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json().status).toBe('SYNCED');
    });

    it('rebuilds a dropped dataset with its views; recreate_views rebuilds the views', async () => {
      const { org } = await h.onboard();
      await h.warehouse.dropDataset(`${org}_local`);
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        status: 'PROFILE_ONLY',
        tables_missing: ['(entire dataset)'],
      });
      const res = (await h.root('POST', `/api/v1/organizations/${org}/sync`, {})).json();
      expect(res).toMatchObject({ status: 'SUCCESS', dataset_created: true });
      expect(res.tables_created).toHaveLength(19);
      expect(res.views_created.sort()).toEqual(
        h.registry
          .orgViews()
          .map((v) => v.name)
          .sort(),
      );
      const again = (
        await h.root('POST', `/api/v1/organizations/${org}/sync`, { recreate_views: true })
      ).json();
      expect(again).toMatchObject({ tables_created: [], views_created: res.views_created });
      expect(
        Number((await h.warehouse.query(`SELECT COUNT(*) AS n FROM \`${org}_local.x_org_hierarchy\``))[0].n),
      ).toBe(20);
    });

    it('sync refuses unknown (404) and inactive (400) orgs', async () => {
      expectProblem(
        await h.root('POST', `/api/v1/organizations/${anOrgSlug('none')}/sync`, {}),
        404,
        'ORG_NOT_FOUND',
      );
      const { org } = await h.onboard();
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
        { org },
      );
      expectProblem(await h.root('POST', `/api/v1/organizations/${org}/sync`, {}), 400, 'ORG_NOT_ACTIVE');
    });

    it('repair-tables creates exactly the missing tables', async () => {
      const { org } = await h.onboard();
      await h.warehouse.dropTable(`${org}_local`, 'genai_payg_pricing');
      await h.warehouse.dropTable(`${org}_local`, 'cloud_aws_billing_raw_daily');
      const res = await h.root('POST', `/api/v1/${org}/repair-tables`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        org_slug: org,
        dataset_id: `${org}_local`,
        tables_created: ['cloud_aws_billing_raw_daily', 'genai_payg_pricing'],
        tables_failed: [],
      });
      expect(res.json().tables_existing).toHaveLength(17);
      expectProblem(await h.root('POST', `/api/v1/${anOrgSlug('none')}/repair-tables`), 404, 'ORG_NOT_FOUND');
    });

    it('status reports a missing view as OUT_OF_SYNC; repair-tables creates the missing views, keeps the rest', async () => {
      const { org } = await h.onboard();
      const dataset = `${org}_local`;
      const views = h.registry
        .orgViews()
        .map((v) => v.name)
        .sort();
      await h.warehouse.dropTable(dataset, 'x_org_hierarchy');
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        status: 'OUT_OF_SYNC',
        tables_missing: [],
        views_missing: ['x_org_hierarchy'],
      });
      const replace = vi.spyOn(h.warehouse, 'createOrReplaceView');
      try {
        const res = await h.root('POST', `/api/v1/${org}/repair-tables`);
        expect(res.json()).toMatchObject({
          tables_created: [],
          views_created: ['x_org_hierarchy'],
          views_failed: [],
        });
        // The views that were there are left as they are.
        expect(replace.mock.calls.map((c) => c[1])).toEqual(['x_org_hierarchy']);
      } finally {
        replace.mockRestore();
      }
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        status: 'SYNCED',
        views_missing: [],
      });
      // A dataset that is gone comes back whole: its tables and its views.
      await h.warehouse.dropDataset(dataset);
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        status: 'PROFILE_ONLY',
        views_missing: views,
      });
      const repaired = (await h.root('POST', `/api/v1/${org}/repair-tables`)).json();
      expect(repaired.tables_created).toHaveLength(19);
      expect(repaired.views_created.sort()).toEqual(views);
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json().status).toBe('SYNCED');
      expect(
        Number((await h.warehouse.query(`SELECT COUNT(*) AS n FROM \`${dataset}.x_org_hierarchy\``))[0].n),
      ).toBe(20);
    });

    it('status counts a plain table named like a view as a mismatch, not as the view', async () => {
      const { org } = await h.onboard();
      const dataset = `${org}_local`;
      await h.warehouse.dropTable(dataset, 'x_org_hierarchy');
      await h.warehouse.ensureTable(dataset, {
        name: 'x_org_hierarchy',
        fields: [{ name: 'id', type: 'STRING', mode: 'NULLABLE' }],
      });
      expect((await h.root('GET', `/api/v1/organizations/${org}/status`)).json()).toMatchObject({
        status: 'OUT_OF_SYNC',
        views_missing: ['x_org_hierarchy'],
      });
    });

    it('status names the call that works: sync for an active org, repair-tables for another', async () => {
      const { org } = await h.onboard();
      await h.warehouse.dropTable(`${org}_local`, 'genai_payg_pricing');
      const message = async () => (await h.root('GET', `/api/v1/organizations/${org}/status`)).json().message;
      expect(await message()).toContain(`POST /api/v1/organizations/${org}/sync`);
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
        { org },
      );
      // sync answers 400 ORG_NOT_ACTIVE for it; repair-tables repairs it.
      expect(await message()).toContain(`POST /api/v1/${org}/repair-tables`);
      expect(await message()).not.toContain('/sync');
      await h.warehouse.dropDataset(`${org}_local`);
      expect(await message()).toContain(`POST /api/v1/${org}/repair-tables`);
      expect(await message()).not.toContain('/sync');
      expect((await h.root('POST', `/api/v1/${org}/repair-tables`)).statusCode).toBe(200);
      // An onboarding that stopped half-way: onboarding the slug again finishes it (key, quota row too).
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'PROVISIONING' WHERE org_slug = @org`,
        { org },
      );
      await h.warehouse.dropTable(`${org}_local`, 'genai_payg_pricing');
      expect(await message()).toContain(`POST /api/v1/organizations/onboard again with org_slug ${org}`);
      expect(await message()).not.toContain('repair-tables');
    });

    it('status reports PROFILE_ONLY when the dataset goes away while it is being inspected', async () => {
      const { org } = await h.onboard();
      await h.warehouse.dropDataset(`${org}_local`);
      // It was there when asked, and gone when its tables were listed.
      const exists = vi.spyOn(h.warehouse, 'datasetExists').mockResolvedValueOnce(true);
      try {
        const res = await h.root('GET', `/api/v1/organizations/${org}/status`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ status: 'PROFILE_ONLY', dataset_exists: false });
      } finally {
        exists.mockRestore();
      }
    });

    it('waits its turn while the org is being created or removed: 409 with Retry-After, nothing made', async () => {
      const { org } = await h.onboard();
      await h.warehouse.dropTable(`${org}_local`, 'genai_payg_pricing');
      let finish = () => undefined as void;
      let holding = () => undefined as void;
      const claimed = new Promise<void>((r) => (holding = r));
      // As an offboarding in progress holds it, from before the requests below (its claim of the
      // lease is a round trip of its own: sent at once, a request could claim first).
      const held = h.app.get(OrgCreationLock).hold(org, () => {
        holding();
        return new Promise<void>((r) => (finish = r));
      });
      await claimed;
      try {
        for (const [method, path, body] of [
          ['POST', `/api/v1/${org}/repair-tables`, undefined],
          ['POST', `/api/v1/organizations/${org}/sync`, {}],
        ] as const) {
          const res = await h.root(method, path, body);
          expectProblem(res, 409, 'ONBOARDING_IN_PROGRESS');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
        expect(await h.warehouse.describeTable(`${org}_local`, 'genai_payg_pricing')).toBeNull();
      } finally {
        finish();
        await held;
      }
      expect((await h.root('POST', `/api/v1/${org}/repair-tables`)).json()).toMatchObject({
        tables_created: ['genai_payg_pricing'],
      });
    });

    it("onboarding that adopts an earlier org's dataset answers where that dataset is, not where it asked", async () => {
      const { org } = await h.onboard();
      const off = await h.root('DELETE', `/api/v1/organizations/${org}`, { confirm_org_slug: org });
      expect(off.statusCode, off.body).toBe(200);
      // BigQuery's word: the central dataset and the kept one are in the US.
      const located = vi.spyOn(h.warehouse, 'datasetLocation').mockResolvedValue('US');
      try {
        const res = await h.root(
          'POST',
          '/api/v1/organizations/onboard',
          h.onboardBody(org, { adopt_existing_dataset: true, dataset_location: 'EU' }),
        );
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ dataset_created: false, dataset_location: 'US' });
      } finally {
        located.mockRestore();
      }
    });
  });
});
