import type { LightMyRequestResponse } from 'fastify';
import { ENCRYPTOR, type Encryptor } from '#crypto';
import { type DbRow, type Filter, TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { CENTRAL_DATASET, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { NO_LIMITS, orgHarness } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

const injected = () => new Error('injected failure: connect ECONNREFUSED 10.0.0.7:443 secret=s3cr3t');

/**
 * A failure at each onboarding step, injected into the engine that step uses, must leave nothing
 * behind and name the step; only the FAILURE audit entry stays, by design.
 */
describe('onboarding failures', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
  });
  afterAll(() => t.close());

  const h = orgHarness(() => t);

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

  /** A fault kept in place while `run` runs. */
  type Fault = (run: () => Promise<void>) => Promise<void>;

  // Faults read the engines when they run: the app starts after the tests are collected.
  const warehouseInsertFails =
    (table: string): Fault =>
    (run) =>
      patched(
        h.warehouse,
        'insertRows',
        (insert) => (ref, rows) => (ref.table === table ? Promise.reject(injected()) : insert(ref, rows)),
        run,
      );
  /** The tenancy DB refuses to write the organizations row with `error` (an outage, a timeout). */
  const organizationsInsertFails =
    (error: Error): Fault =>
    (run) =>
      patched(
        h.db,
        'insert',
        (insert) => (table, rows) =>
          table === 'organizations' ? Promise.reject(error) : insert(table, rows),
        run,
      );
  const viewsFail: Fault = (run) =>
    patched(h.warehouse, 'createOrReplaceView', () => () => Promise.reject(injected()), run);

  /** The response of `call` made while `fault` is in place. */
  const under = async (fault: Fault, call: () => Promise<LightMyRequestResponse>) => {
    let res: LightMyRequestResponse | undefined;
    await fault(async () => {
      res = await call();
    });
    if (!res) throw new Error('the fault never ran the call');
    return res;
  };

  const onboard = (org: string) =>
    h.root('POST', '/api/v1/organizations/onboard', {
      org_slug: org,
      company_name: 'Failure Test Co',
      admin_email: 'owner@example.com',
    });

  /** Rows of the org in every central table except the audit log (where the FAILURE entry belongs). */
  const leftovers = async (org: string) => {
    const found = await h.centralRowsOf(org);
    delete found.org_audit_logs;
    if ((await h.db.select('organizations', { org_slug: org })).length) found.tenancy_organizations = 1;
    if (await h.warehouse.datasetExists(`${org}_local`)) found.dataset = 1;
    return found;
  };

  const expectCleanFailure = async (org: string, res: LightMyRequestResponse, step: string) => {
    expect(res.statusCode, res.body).toBe(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'ONBOARDING_FAILED', step, rolled_back: true });
    expect(res.body).not.toContain('s3cr3t');
    expect(res.body).not.toContain('10.0.0.7');
    expect(await leftovers(org)).toEqual({});
    const audit = await h.warehouse.query(
      `SELECT action, status, error_message FROM \`${CENTRAL_DATASET}.org_audit_logs\` WHERE org_slug = @org`,
      { org },
    );
    expect(audit).toEqual([{ action: 'CREATE', status: 'FAILURE', error_message: `${step} failed` }]);
    // Nothing blocks a retry once the cause is gone.
    expect((await onboard(org)).statusCode).toBe(200);
  };

  // One row per step: only the fault differs, the clean-failure check is the same for every step.
  const stepFailures: { title: string; slug: string; step: string; fault: Fault }[] = [
    {
      title: 'STEP 1: a failed profile insert leaves nothing',
      slug: 'f1',
      step: 'STEP 1: create org profile',
      fault: warehouseInsertFails('org_profiles'),
    },
    {
      title: 'STEP 2: a failed key encryption removes the profile',
      slug: 'f2',
      step: 'STEP 2: issue API key',
      fault: (run) =>
        patched(t.app.get<Encryptor>(ENCRYPTOR), 'encrypt', () => () => Promise.reject(injected()), run),
    },
    {
      title: 'STEP 3: a failed tenancy-DB write removes the key rows and the profile',
      slug: 'f3',
      step: 'STEP 3: write tenancy limits',
      fault: (run) =>
        patched(
          h.db,
          'insert',
          (insert) => (table, rows) =>
            table === 'organizations' ? Promise.reject(injected()) : insert(table, rows),
          run,
        ),
    },
    {
      title: 'STEP 4: a view that cannot be created drops the half-built dataset and the tenancy row',
      slug: 'f4',
      step: 'STEP 4: create org dataset, tables and views',
      fault: viewsFail,
    },
    {
      title: 'STEP 5: a failed entity insert removes the levels already seeded and the dataset',
      slug: 'f5',
      step: 'STEP 5: seed default hierarchy',
      fault: async (run) => {
        let levelsWritten = 0;
        await patched(
          h.warehouse,
          'insertRows',
          (insert) => async (ref, rows) => {
            if (ref.table === 'org_hierarchy') throw injected();
            if (ref.table === 'org_hierarchy_levels') levelsWritten += rows.length;
            return insert(ref, rows);
          },
          run,
        );
        // The entities fail after the levels went in, so the rollback has seeded rows to remove.
        expect(levelsWritten).toBe(3);
      },
    },
  ];

  /** The onboarded flag's write applies, then reports a failure (a timed-out call that committed). */
  const onboardedFlagFails: Fault = (run) =>
    patched(
      h.db,
      'update',
      (update) =>
        async <T extends DbRow = DbRow>(table: string, filter: Filter, values: DbRow) => {
          const rows = await update<T>(table, filter, values);
          if (table === 'organizations' && values.backend_onboarded === true) throw injected();
          return rows;
        },
      run,
    );
  stepFailures.push({
    title: 'STEP 7: a flag write that applied yet reported a failure is taken back with the rest',
    slug: 'f7',
    step: 'STEP 7: mark the org onboarded in the tenancy DB',
    fault: onboardedFlagFails,
  });

  it('the tenancy row says not onboarded until the org works (a crash half-way must not leave it true)', async () => {
    const org = anOrgSlug('fp');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atViews = new Promise<void>((resolve) => (reached = resolve));
    const res = await under(
      (run) =>
        patched(
          h.warehouse,
          'createOrReplaceView',
          (create) => async (dataset, view, sql) => {
            reached();
            await gate;
            return create(dataset, view, sql);
          },
          run,
        ),
      async () => {
        const pending = onboard(org);
        await atViews;
        // Profile, key and limits are written; dataset, hierarchy and activation are not.
        const [row] = await h.db.select('organizations', { org_slug: org });
        expect(row).toMatchObject({ backend_onboarded: false, backend_onboarded_at: null });
        expect(row.pipelines_per_day_limit).toBeGreaterThan(0);
        release();
        return pending;
      },
    );
    expect(res.statusCode).toBe(200);
    const [row] = await h.db.select('organizations', { org_slug: org });
    expect(row).toMatchObject({ backend_onboarded: true, backend_onboarded_at: expect.anything() });
  });

  // A loop, not it.each: `$title` would print the titles quoted, renaming the tests.
  for (const { title, slug, step, fault } of stepFailures)
    it(title, async () => {
      const org = anOrgSlug(slug);
      const res = await under(fault, () => onboard(org));
      await expectCleanFailure(org, res, step);
    });

  // STEP 7's undo must run before STEP 3's restore, which only puts back a row still as it wrote it.
  for (const [step, fault] of [
    ['STEP 4: create org dataset, tables and views', viewsFail],
    ['STEP 7: mark the org onboarded in the tenancy DB', onboardedFlagFails],
  ] as const)
    it(`restores the row the frontend created, as it was, when a later step fails (${step.slice(0, 6)})`, async () => {
      const org = anOrgSlug('fe');
      const [signup] = await h.db.insert('organizations', [
        {
          org_slug: org,
          company_name: 'Signup Name',
          plan: 'STARTER',
          billing_status: 'trialing',
          seat_limit: 4,
        },
      ]);
      const res = await under(fault, () => onboard(org));
      expect(res.json()).toMatchObject({ code: 'ONBOARDING_FAILED', step });
      const [after] = await h.db.select('organizations', { org_slug: org });
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
    const dropFails: Fault = (run) =>
      patched(h.warehouse, 'dropDataset', () => () => Promise.reject(injected()), run);
    const res = await under(
      (run) => viewsFail(() => dropFails(run)),
      () => onboard(org),
    );
    expect(res.json()).toMatchObject({
      code: 'ONBOARDING_FAILED',
      rolled_back: false,
      not_rolled_back: ['STEP 4: create org dataset, tables and views'],
    });
    await h.warehouse.dropDataset(`${org}_local`);
    expect(await leftovers(org)).toEqual({});
  });

  it('answers an engine outage taken back whole as the outage (503, 504), so the caller sends it again', async () => {
    const tenancyDown = anOrgSlug('fo');
    const res = await under(
      organizationsInsertFails(new TenancyDbError(TenancyDbErrorCode.Unavailable, 'terminating connection')),
      () => onboard(tenancyDown),
    );
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({
      code: 'TENANCY_DB_UNAVAILABLE',
      step: 'STEP 3: write tenancy limits',
      rolled_back: true,
    });
    expect(res.json().detail).toMatch(/Nothing of it was kept; send the request again/);
    expect(await leftovers(tenancyDown)).toEqual({});
    expect((await onboard(tenancyDown)).statusCode).toBe(200);

    const warehouseSlow = anOrgSlug('fo');
    const slow = await under(
      (run) =>
        patched(
          h.warehouse,
          'createOrReplaceView',
          () => () => Promise.reject(new WarehouseError(WarehouseErrorCode.Timeout, 'no answer')),
          run,
        ),
      () => onboard(warehouseSlow),
    );
    expect(slow.json()).toMatchObject({ status: 504, code: 'WAREHOUSE_TIMEOUT', rolled_back: true });
    expect(await leftovers(warehouseSlow)).toEqual({});
  });

  it('the legacy admin create is taken back the same way, naming its step', async () => {
    const org = anOrgSlug('fa');
    const res = await under(viewsFail, () =>
      h.root('POST', '/api/v1/admin/organizations', { org_slug: org }),
    );
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      code: 'ORG_CREATION_FAILED',
      step: 'STEP 3: create org dataset, tables and views',
      rolled_back: true,
    });
    expect(await leftovers(org)).toEqual({});

    const down = anOrgSlug('fa');
    const outage = await under(
      organizationsInsertFails(new TenancyDbError(TenancyDbErrorCode.Timeout, 'statement timeout')),
      () => h.root('POST', '/api/v1/admin/organizations', { org_slug: down }),
    );
    expect(outage.json()).toMatchObject({ status: 504, code: 'TENANCY_DB_TIMEOUT', rolled_back: true });
    expect(await leftovers(down)).toEqual({});
  });

  it('STEP 6: a failed audit write does not undo the onboarding (the audit log is best effort)', async () => {
    const org = anOrgSlug('f6');
    const res = await under(warehouseInsertFails('org_audit_logs'), () => onboard(org));
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
