import type { LightMyRequestResponse } from 'fastify';
import { type DbRow, type Filter, TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { NO_LIMITS, orgHarness } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * A creation's write that took effect and yet answered a failure (a call that timed out after the
 * warehouse acted, or whose lost answer a client retried into "already exists") is taken back with
 * the rest: the failure says nothing was kept, and sending the request again must work.
 */
describe('org creation with a write of unknown outcome', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
  });
  afterAll(() => t.close());

  const h = orgHarness(() => t);

  /** The dataset is made, and the call answers as if the warehouse never did: a timeout. */
  async function datasetInsertTimesOut(call: () => Promise<LightMyRequestResponse>) {
    const warehouse = h.warehouse;
    const original = warehouse.ensureDataset.bind(warehouse);
    warehouse.ensureDataset = async (dataset, options) => {
      await original(dataset, options);
      throw new WarehouseError(WarehouseErrorCode.Timeout, 'datasets.insert: no answer within the deadline');
    };
    try {
      return await call();
    } finally {
      warehouse.ensureDataset = original;
    }
  }

  it('onboarding: the dataset made by a timed-out insert is dropped, so sending again onboards', async () => {
    const org = anOrgSlug('uo');
    const onboard = () => h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
    const failed = await datasetInsertTimesOut(onboard);
    expect(failed.statusCode, failed.body).toBe(504);
    expect(failed.json()).toMatchObject({ code: 'WAREHOUSE_TIMEOUT', rolled_back: true });
    expect(failed.json().detail).toMatch(/Nothing of it was kept; send the request again/);
    // It was left behind: the next onboarding took it for an earlier org's (409 DATASET_EXISTS).
    expect(await h.warehouse.datasetExists(`${org}_local`)).toBe(false);
    const again = await onboard();
    expect(again.statusCode, again.body).toBe(200);
  });

  it('the legacy admin create: the same', async () => {
    const org = anOrgSlug('ua');
    const create = () => h.root('POST', '/api/v1/admin/organizations', { org_slug: org });
    const failed = await datasetInsertTimesOut(create);
    expect(failed.json()).toMatchObject({ status: 504, code: 'WAREHOUSE_TIMEOUT', rolled_back: true });
    expect(await h.warehouse.datasetExists(`${org}_local`)).toBe(false);
    const again = await create();
    expect(again.statusCode, again.body).toBe(200);
  });

  it('an adopted dataset of an earlier org stays when the onboarding that adopted it fails', async () => {
    const org = anOrgSlug('ud');
    await h.warehouse.ensureDataset(`${org}_local`);
    const failed = await datasetInsertTimesOut(() =>
      h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org, { adopt_existing_dataset: true })),
    );
    expect(failed.json()).toMatchObject({ status: 504, rolled_back: true });
    expect(await h.warehouse.datasetExists(`${org}_local`)).toBe(true);
  });

  it('onboarding: the tenancy row of an insert that timed out after its commit goes with the rest', async () => {
    const org = anOrgSlug('ut');
    const db = h.db;
    const insert = db.insert.bind(db);
    db.insert = async <T extends DbRow = DbRow>(table: string, rows: DbRow[]) => {
      const inserted = await insert<T>(table, rows);
      if (table === 'organizations')
        throw new TenancyDbError(TenancyDbErrorCode.Timeout, 'statement timeout');
      return inserted;
    };
    let failed: LightMyRequestResponse;
    try {
      failed = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
    } finally {
      db.insert = insert;
    }
    expect(failed.json()).toMatchObject({ status: 504, code: 'TENANCY_DB_TIMEOUT', rolled_back: true });
    // It stayed, with the plan's limits, for an org the failure said nothing was kept of.
    expect(await h.db.select('organizations', { org_slug: org })).toEqual([]);
  });

  it('a row the dashboard wrote meanwhile is not the insert’s to delete', async () => {
    const org = anOrgSlug('uw');
    const db = h.db;
    const insert = db.insert.bind(db);
    db.insert = async <T extends DbRow = DbRow>(table: string, rows: DbRow[]) => {
      if (table !== 'organizations') return insert<T>(table, rows);
      // Another writer's row took the slug first: the insert fails, and the row is not its own.
      await insert(table, [{ org_slug: org, company_name: 'Dashboard Co', billing_status: 'trialing' }]);
      throw new TenancyDbError(TenancyDbErrorCode.Timeout, 'statement timeout');
    };
    try {
      await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
    } finally {
      db.insert = insert;
    }
    expect(await h.db.select('organizations', { org_slug: org })).toMatchObject([
      { company_name: 'Dashboard Co', billing_status: 'trialing', admin_email: null },
    ]);
  });

  it('onboarding: the row the frontend created is restored after an update that timed out after its commit', async () => {
    const org = anOrgSlug('uu');
    await h.db.insert('organizations', [
      {
        org_slug: org,
        company_name: 'Signup Name',
        plan: 'STARTER',
        billing_status: 'trialing',
        seat_limit: 4,
      },
    ]);
    const db = h.db;
    const update = db.update.bind(db);
    db.update = async <T extends DbRow = DbRow>(table: string, filter: Filter, values: DbRow) => {
      const updated = await update<T>(table, filter, values);
      // STEP 3's write of the limits, not the rollback's restore (which sets them back to NULL).
      if (
        table === 'organizations' &&
        values.pipelines_per_day_limit !== undefined &&
        values.backend_quota_synced
      )
        throw new TenancyDbError(TenancyDbErrorCode.Timeout, 'statement timeout');
      return updated;
    };
    let failed: LightMyRequestResponse;
    try {
      failed = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
    } finally {
      db.update = update;
    }
    expect(failed.json()).toMatchObject({ status: 504, code: 'TENANCY_DB_TIMEOUT', rolled_back: true });
    // It kept the onboarding's company, plan limits and key fingerprint for an org taken back.
    expect((await h.db.select('organizations', { org_slug: org }))[0]).toMatchObject({
      company_name: 'Signup Name',
      admin_email: null,
      seat_limit: 4,
      pipelines_per_day_limit: null,
      backend_quota_synced: false,
      backend_api_key_fingerprint: null,
    });
  });
});
