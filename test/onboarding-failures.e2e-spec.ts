import type { LightMyRequestResponse } from 'fastify';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = {
  RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
  RATE_LIMIT_WRITES_PER_MINUTE: '100000',
  RATE_LIMIT_READS_PER_MINUTE: '100000',
};

const injected = () => new Error('injected failure: connect ECONNREFUSED 10.0.0.7:443 secret=s3cr3t');

/**
 * A failure at each onboarding step, injected into the engine that step uses, must leave nothing
 * behind and name the step; only the FAILURE audit entry stays, by design.
 */
describe('onboarding failures', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let db: TenancyDb;
  let encryptor: Encryptor;
  let registry: SchemaRegistry;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
    db = t.app.get<TenancyDb>(TENANCY_DB);
    encryptor = t.app.get<Encryptor>(ENCRYPTOR);
    registry = t.app.get(SchemaRegistry);
  });
  afterAll(() => t.close());

  /** Replaces one method of an engine instance for the duration of `run`. */
  async function patched<T extends object, K extends keyof T>(
    target: T,
    method: K,
    replacement: (original: T[K]) => T[K],
    run: () => Promise<void>,
  ): Promise<void> {
    const original = target[method];
    target[method] = replacement((original as (...a: unknown[]) => unknown).bind(target) as T[K]);
    try {
      await run();
    } finally {
      target[method] = original;
    }
  }

  const onboard = (org: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations/onboard',
      headers: rootHeaders,
      payload: { org_slug: org, company_name: 'Failure Test Co', admin_email: 'owner@example.com' },
    });

  /** Rows of the org in every central table except the audit log (where the FAILURE entry belongs). */
  const leftovers = async (org: string) => {
    const found: Record<string, number> = {};
    for (const table of registry.centralTables()) {
      if (table.name === 'org_audit_logs') continue;
      const [row] = await warehouse.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM \`${CENTRAL_DATASET}.${table.name}\` WHERE org_slug = @org`,
        { org },
      );
      if (Number(row.n)) found[table.name] = Number(row.n);
    }
    if ((await db.select('organizations', { org_slug: org })).length) found.tenancy_organizations = 1;
    if (await warehouse.datasetExists(`${org}_local`)) found.dataset = 1;
    return found;
  };

  const expectCleanFailure = async (org: string, res: LightMyRequestResponse, step: string) => {
    expect(res.statusCode, res.body).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'ONBOARDING_FAILED', step, rolled_back: true });
    expect(res.body).not.toContain('s3cr3t');
    expect(res.body).not.toContain('10.0.0.7');
    expect(await leftovers(org)).toEqual({});
    const audit = await warehouse.query(
      `SELECT action, status, error_message FROM \`${CENTRAL_DATASET}.org_audit_logs\` WHERE org_slug = @org`,
      { org },
    );
    expect(audit).toEqual([{ action: 'CREATE', status: 'FAILURE', error_message: `${step} failed` }]);
    // Nothing blocks a retry once the cause is gone.
    expect((await onboard(org)).statusCode).toBe(200);
  };

  it('STEP 1: a failed profile insert leaves nothing', async () => {
    const org = anOrgSlug('f1');
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'insertRows',
      (insert) => (ref, rows) =>
        ref.table === 'org_profiles' ? Promise.reject(injected()) : insert(ref, rows),
      async () => {
        res = await onboard(org);
      },
    );
    await expectCleanFailure(org, res, 'STEP 1: create org profile');
  });

  it('STEP 2: a failed key encryption removes the profile', async () => {
    const org = anOrgSlug('f2');
    let res!: LightMyRequestResponse;
    await patched(
      encryptor,
      'encrypt',
      () => () => Promise.reject(injected()),
      async () => {
        res = await onboard(org);
      },
    );
    await expectCleanFailure(org, res, 'STEP 2: issue API key');
  });

  it('STEP 3: a failed tenancy-DB write removes the key rows and the profile', async () => {
    const org = anOrgSlug('f3');
    let res!: LightMyRequestResponse;
    await patched(
      db,
      'insert',
      (insert) => (table, rows) =>
        table === 'organizations' ? Promise.reject(injected()) : insert(table, rows),
      async () => {
        res = await onboard(org);
      },
    );
    await expectCleanFailure(org, res, 'STEP 3: write tenancy limits');
  });

  it('STEP 4: a view that cannot be created drops the half-built dataset and the tenancy row', async () => {
    const org = anOrgSlug('f4');
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'createOrReplaceView',
      () => () => Promise.reject(injected()),
      async () => {
        res = await onboard(org);
      },
    );
    await expectCleanFailure(org, res, 'STEP 4: create org dataset, tables and views');
  });

  it('STEP 5: a failed entity insert removes the levels already seeded and the dataset', async () => {
    const org = anOrgSlug('f5');
    let res!: LightMyRequestResponse;
    let levelsWritten = 0;
    await patched(
      warehouse,
      'insertRows',
      (insert) => async (ref, rows) => {
        if (ref.table === 'org_hierarchy') throw injected();
        if (ref.table === 'org_hierarchy_levels') levelsWritten += rows.length;
        return insert(ref, rows);
      },
      async () => {
        res = await onboard(org);
      },
    );
    expect(levelsWritten).toBe(3);
    await expectCleanFailure(org, res, 'STEP 5: seed default hierarchy');
  });

  it('restores the row the frontend created, as it was, when a later step fails', async () => {
    const org = anOrgSlug('fe');
    const [signup] = await db.insert('organizations', [
      {
        org_slug: org,
        company_name: 'Signup Name',
        plan: 'STARTER',
        billing_status: 'trialing',
        seat_limit: 4,
      },
    ]);
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'createOrReplaceView',
      () => () => Promise.reject(injected()),
      async () => {
        res = await onboard(org);
      },
    );
    expect(res.json()).toMatchObject({
      code: 'ONBOARDING_FAILED',
      step: 'STEP 4: create org dataset, tables and views',
    });
    const [after] = await db.select('organizations', { org_slug: org });
    expect(after).toMatchObject({
      id: signup.id,
      company_name: 'Signup Name',
      admin_email: null,
      plan: 'STARTER',
      billing_status: 'trialing',
      seat_limit: 4,
      pipelines_per_day_limit: null,
      backend_onboarded: false,
      backend_onboarded_at: null,
      backend_quota_synced: false,
      backend_api_key_fingerprint: null,
    });
  });

  it('reports the step it could not undo instead of claiming a clean rollback', async () => {
    const org = anOrgSlug('fu');
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'createOrReplaceView',
      () => () => Promise.reject(injected()),
      () =>
        patched(
          warehouse,
          'dropDataset',
          () => () => Promise.reject(injected()),
          async () => {
            res = await onboard(org);
          },
        ),
    );
    expect(res.json()).toMatchObject({
      code: 'ONBOARDING_FAILED',
      rolled_back: false,
      not_rolled_back: ['STEP 4: create org dataset, tables and views'],
    });
    await warehouse.dropDataset(`${org}_local`);
    expect(await leftovers(org)).toEqual({});
  });

  it('the legacy admin create is taken back the same way, naming its step', async () => {
    const org = anOrgSlug('fa');
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'createOrReplaceView',
      () => () => Promise.reject(injected()),
      async () => {
        res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/organizations',
          headers: rootHeaders,
          payload: { org_slug: org },
        });
      },
    );
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      code: 'ORG_CREATION_FAILED',
      step: 'STEP 3: create org dataset, tables and views',
      rolled_back: true,
    });
    expect(await leftovers(org)).toEqual({});
  });

  it('STEP 6: a failed audit write does not undo the onboarding (the audit log is best effort)', async () => {
    const org = anOrgSlug('f6');
    let res!: LightMyRequestResponse;
    await patched(
      warehouse,
      'insertRows',
      (insert) => (ref, rows) =>
        ref.table === 'org_audit_logs' ? Promise.reject(injected()) : insert(ref, rows),
      async () => {
        res = await onboard(org);
      },
    );
    expect(res.statusCode).toBe(200);
    expect(Object.keys(await leftovers(org)).sort()).toEqual(
      [
        'dataset',
        'org_api_keys',
        'org_hierarchy',
        'org_hierarchy_levels',
        'org_profiles',
        'tenancy_organizations',
      ].sort(),
    );
  });
});
