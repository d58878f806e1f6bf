import { randomBytes } from 'node:crypto';
import {
  CENTRAL_DATASET,
  type FieldSchema,
  type Row,
  type TableSchema,
  WarehouseError,
  WarehouseErrorCode,
} from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { expectProblem } from '#test/org-onboarding';
import { offboardingApp } from '#test/offboarding-app';
import { aFocusFileRow, focusCsv } from '#test/focus-files';
import { rootHeaders } from '#test/test-app';
import { ApiKeyService } from '../apps/api/src/api-keys/api-key.service.js';

/** A value of the field's type, so that a row can be written to any central table. */
function aValue(field: FieldSchema): unknown {
  if (field.mode === 'REPEATED') return [];
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
      return 1;
    case 'FLOAT':
    case 'FLOAT64':
    case 'NUMERIC':
      return 1.5;
    case 'BOOLEAN':
    case 'BOOL':
      return true;
    case 'TIMESTAMP':
      return new Date();
    case 'DATE':
      return new Date().toISOString().slice(0, 10);
    case 'JSON':
      return { seeded: true };
    case 'BYTES':
      return randomBytes(8);
    default:
      return `${field.name}-${randomBytes(4).toString('hex')}`;
  }
}

/** A row of `table` for `org` with every REQUIRED column filled. */
function aRowFor(table: TableSchema, org: string): Row {
  const row: Row = {};
  for (const field of table.fields)
    if (field.mode === 'REQUIRED') row[field.name] = field.name === 'org_slug' ? org : aValue(field);
  return row;
}

describe('offboarding', () => {
  const suite = offboardingApp();
  const { h, logs, onboard, offboard } = suite;
  const { root, withKey, centralCounts } = h;
  /**
   * A row in every central table, a member, the onboarding's idempotency key and a cost import's
   * report: something everywhere.
   */
  const populate = async (org: string) => {
    for (const table of h.registry.centralTables())
      await h.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: table.name }, [aRowFor(table, org)]);
    const [orgRow] = await h.db.select('organizations', { org_slug: org });
    const [user] = await h.db.insert('profiles', [{ email: `${org}@example.com`, full_name: org }]);
    await h.db.insert('organization_members', [
      { org_id: orgRow.id as string, user_id: user.id as string, role: 'owner' },
    ]);
    const imported = await h.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/costs/import`,
      headers: { ...rootHeaders, 'content-type': 'text/csv' },
      payload: focusCsv([aFocusFileRow()]),
    });
    expect(imported.statusCode, imported.body).toBe(200);
    return { orgId: orgRow.id as string, userId: user.id as string };
  };
  const tenancyCounts = async (org: string, orgId: string) => ({
    organizations: (await h.db.select('organizations', { org_slug: org })).length,
    members: (await h.db.select('organization_members', { org_id: orgId })).length,
    idempotency_keys: (await h.db.select('idempotency_keys', { org_slug: org })).length,
    cost_imports: (await h.db.select('cost_imports', { org_slug: org })).length,
  });

  it('leaves nothing of the org in any central table, the tenancy DB or the warehouse; the other org is untouched', async () => {
    const a = await onboard();
    const b = await onboard();
    const aIds = await populate(a.org);
    const bIds = await populate(b.org);
    const bBefore = await centralCounts(b.org);
    expect(Object.values(await centralCounts(a.org)).every((n) => n > 0)).toBe(true);
    expect(await tenancyCounts(a.org, aIds.orgId)).toEqual({
      organizations: 1,
      members: 1,
      idempotency_keys: 1,
      cost_imports: 1,
    });

    const res = await offboard(a.org, { confirm_org_slug: a.org, delete_dataset: true });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ org_slug: a.org, dataset_deleted: true, tenancy_rows_deleted: 4 });
    const deleted = body.rows_deleted as Record<string, number>;
    expect(body.deleted_from_tables).toEqual(Object.keys(deleted));
    expect(Object.keys(deleted).sort()).toEqual(
      h.registry
        .centralTables()
        .map((tb) => tb.name)
        .sort(),
    );
    expect(Object.keys(deleted)).toHaveLength(30);
    expect(Object.values(deleted).every((n) => (n as number) >= 1)).toBe(true);

    const aAfter = await centralCounts(a.org);
    expect(Object.entries(aAfter).filter(([, n]) => n > 0)).toEqual([]);
    expect(await tenancyCounts(a.org, aIds.orgId)).toEqual({
      organizations: 0,
      members: 0,
      idempotency_keys: 0,
      cost_imports: 0,
    });
    expect(await h.warehouse.datasetExists(`${a.org}_local`)).toBe(false);
    expect((await h.db.select('profiles', { id: aIds.userId })).length).toBe(1);
    expectProblem(
      await withKey(a.key, 'GET', `/api/v1/organizations/${a.org}/locale`),
      401,
      'API_KEY_INVALID',
    );
    expect((await root('GET', `/api/v1/organizations/${a.org}/status`)).json().status).toBe('NOT_FOUND');

    expect(await centralCounts(b.org)).toEqual(bBefore);
    expect(await tenancyCounts(b.org, bIds.orgId)).toEqual({
      organizations: 1,
      members: 1,
      idempotency_keys: 1,
      cost_imports: 1,
    });
    expect(await h.warehouse.listTables(`${b.org}_local`)).toHaveLength(19 + h.registry.orgViews().length);
    const bLocale = await withKey(b.key, 'GET', `/api/v1/organizations/${b.org}/subscription`);
    expect(bLocale.statusCode).toBe(200);
    expect(bLocale.json().plan_name).toBe('STARTER');
    expect((await root('GET', `/api/v1/organizations/${b.org}/status`)).json().status).toBe('SYNCED');

    const messages = logs.lines.map((l) => String((JSON.parse(l) as { message?: unknown }).message ?? ''));
    const auditLine = messages.find((m) => m.startsWith('audit ') && m.includes(`"resource_id":"${a.org}"`));
    expect(JSON.parse(auditLine?.slice('audit '.length) ?? '{}')).toMatchObject({
      action: 'DELETE',
      resource_type: 'ORGANIZATION',
      org_slug: a.org,
      status: 'SUCCESS',
      details: { tenancy_rows: 4, dataset_deleted: true },
    });
    expect(logs.lines.some((l) => l.includes(a.key))).toBe(false);
  });

  it('keeps the dataset unless asked; a new org of the slug takes it over only when asked', async () => {
    const { org } = await onboard();
    await h.warehouse.insertRows({ dataset: `${org}_local`, table: 'subscription_plans' }, [
      aRowFor(h.registry.orgTable('subscription_plans'), org),
    ]);
    const res = await offboard(org, { confirm_org_slug: org });
    expect(res.json()).toMatchObject({ dataset_deleted: false, message: expect.stringContaining('kept') });
    expect(await h.warehouse.datasetExists(`${org}_local`)).toBe(true);

    const onboardAgain = (extra: object = {}) =>
      root('POST', '/api/v1/organizations/onboard', {
        org_slug: org,
        company_name: 'Back Again',
        admin_email: 'owner@example.com',
        ...extra,
      });
    // Maybe another company: the earlier org's data is not handed over unasked, and nothing is written.
    const refused = await onboardAgain();
    expectProblem(refused, 409, 'DATASET_EXISTS');
    expect(refused.json()).toMatchObject({ dataset_id: `${org}_local` });
    expect(await h.tenancyRow(org)).toBeUndefined();
    expectProblem(
      await root('POST', '/api/v1/admin/organizations', { org_slug: org }),
      409,
      'DATASET_EXISTS',
    );

    const again = await onboardAgain({ adopt_existing_dataset: true });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({
      dataset_created: false,
      tables_created: [],
      hierarchy_seeded: { levels: 3, entities: 20 },
    });
    const [kept] = await h.warehouse.query(`SELECT COUNT(*) AS n FROM \`${org}_local.subscription_plans\``);
    expect(Number(kept.n)).toBe(1);
  });

  it("drops the org's cached costs on every level, so a new org of the slug never reads them", async () => {
    const { org, key } = await onboard();
    const imported = await h.inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${org}/costs/import`,
      headers: { ...rootHeaders, 'content-type': 'text/csv' },
      payload: focusCsv([aFocusFileRow({ day: '2025-03-01' })]),
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const summary = (k: string) =>
      withKey(k, 'GET', `/api/v1/costs/${org}/summary?start_date=2025-03-01&end_date=2025-03-31`);
    // Read twice: the second answer is a kept response.
    for (let i = 0; i < 2; i++) expect((await summary(key)).json().summary.total_billed_cost).toBe(10.5);

    expect((await offboard(org, { confirm_org_slug: org, delete_dataset: true })).statusCode).toBe(200);
    const asRoot = await root(
      'GET',
      `/api/v1/costs/${org}/summary?start_date=2025-03-01&end_date=2025-03-31`,
    );
    expect(asRoot.statusCode).toBe(404);
    const { key: newKey } = await onboard(org);
    for (let i = 0; i < 2; i++) expect((await summary(newKey)).json().summary.total_billed_cost).toBe(0);
  });

  it('never lets a key of the earlier org open a new org of the slug, even one issued while offboarding ran', async () => {
    const { org } = await onboard();
    expect((await offboard(org, { confirm_org_slug: org, delete_dataset: true })).statusCode).toBe(200);
    // As a rotation that checked the profile just before the offboarding deleted it leaves it.
    const stray = await h.app.get(ApiKeyService).issue(org, { description: 'issued during offboarding' });
    const { key } = await onboard(org);
    const status = (k: string) => withKey(k, 'GET', `/api/v1/organizations/${org}/api-key`);
    expect((await status(key)).statusCode).toBe(200);
    expect((await status(stray.apiKey)).statusCode).toBe(401);
  });

  it('refuses a confirmation that does not match (400) and an unknown org (404)', async () => {
    const { org, key } = await onboard();
    expectProblem(await offboard(org, { confirm_org_slug: `${org}x` }), 400, 'CONFIRM_ORG_SLUG_MISMATCH');
    expectProblem(await offboard(org, {}), 422, 'VALIDATION_FAILED');
    // Not a slug at all (a megabyte of it would be quoted back): 422 naming the field.
    const huge = await offboard(org, { confirm_org_slug: 'x'.repeat(100_000) });
    expectProblem(huge, 422, 'VALIDATION_FAILED');
    expect(huge.body.length).toBeLessThan(2_000);
    const missing = anOrgSlug('none');
    expectProblem(await offboard(missing, { confirm_org_slug: missing }), 404, 'ORG_NOT_FOUND');
    const stillThere = await withKey(key, 'GET', `/api/v1/organizations/${org}/locale`);
    expect(stillThere.statusCode).toBe(200);
  });

  it('finishes a run that stopped half-way when called again', async () => {
    const { org } = await onboard();
    await populate(org);
    const execute = h.warehouse.execute.bind(h.warehouse);
    h.warehouse.execute = (sql, params, options) =>
      sql.includes('org_notification_rules')
        ? Promise.reject(new Error('warehouse hiccup'))
        : execute(sql, params, options);
    try {
      const failed = await offboard(org, { confirm_org_slug: org });
      expectProblem(failed, 500, 'OFFBOARDING_FAILED');
      expect(failed.json().step).toBe('central table org_notification_rules');
      expect(failed.json().deleted_from_tables).toContain('org_api_keys');
      expect(failed.json().rows_deleted.org_api_keys).toBeGreaterThanOrEqual(0);
    } finally {
      h.warehouse.execute = execute;
    }
    const done = await offboard(org, { confirm_org_slug: org });
    expect(done.statusCode).toBe(200);
    expect(Object.values(await centralCounts(org)).every((n) => n === 0)).toBe(true);
    expect(await h.db.select('organizations', { org_slug: org })).toEqual([]);
  });

  it('answers a run stopped by a warehouse that did not answer as the outage (504), to run again', async () => {
    const { org } = await onboard();
    await populate(org);
    const execute = h.warehouse.execute.bind(h.warehouse);
    h.warehouse.execute = (sql, params, options) =>
      sql.includes('org_notification_rules')
        ? Promise.reject(new WarehouseError(WarehouseErrorCode.Timeout, 'no answer'))
        : execute(sql, params, options);
    try {
      const failed = await offboard(org, { confirm_org_slug: org });
      expectProblem(failed, 504, 'WAREHOUSE_TIMEOUT');
      expect(failed.json()).toMatchObject({
        step: 'central table org_notification_rules',
        deleted_from_tables: expect.arrayContaining(['org_api_keys']),
      });
      expect(failed.json().detail).toMatch(/Run it again to finish/);
    } finally {
      h.warehouse.execute = execute;
    }
    expect((await offboard(org, { confirm_org_slug: org })).statusCode).toBe(200);
    expect(await h.db.select('organizations', { org_slug: org })).toEqual([]);
  });
});
