import { CENTRAL_DATASET } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines } from '#test/org-onboarding';

/**
 * The dry run (O1) against what the onboarding it stands for would do: ready exactly when the
 * onboarding of the same request would succeed. Each suite has an app of its own: these tests
 * change the central dataset.
 */
describeOnEngines('the onboarding dry run', (h) => {
  const dryrun = (org: string) => h.root('POST', '/api/v1/organizations/dryrun', h.onboardBody(org));
  const check = (body: { validation_results: { check_name: string; message: string }[] }, name: string) =>
    body.validation_results.find((c) => c.check_name === name);

  it('is not ready while a central table lacks a column onboarding writes (the onboarding would fail)', async () => {
    const table = h.registry.centralTable('org_hierarchy');
    // A central dataset an earlier release bootstrapped, before the column was added.
    await h.warehouse.dropTable(CENTRAL_DATASET, 'org_hierarchy');
    await h.warehouse.ensureTable(CENTRAL_DATASET, {
      ...table,
      fields: table.fields.filter((f) => f.name !== 'path_names'),
    });
    try {
      const org = anOrgSlug('dry');
      const res = await dryrun(org);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'FAILED', ready_for_onboarding: false });
      expect(check(res.json(), 'central_tables')).toMatchObject({
        passed: false,
        details: {
          missing_tables: [],
          out_of_sync_tables: { org_hierarchy: { missing_columns: ['path_names'] } },
        },
      });
      expect(check(res.json(), 'central_tables')?.message).toContain('/api/v1/admin/bootstrap/sync');
      // What the dry run stands for: this onboarding fails.
      const onboarded = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
      expect(onboarded.statusCode).toBe(500);
    } finally {
      await h.warehouse.dropTable(CENTRAL_DATASET, 'org_hierarchy');
      await h.warehouse.ensureTable(CENTRAL_DATASET, table);
    }
    expect(check((await dryrun(anOrgSlug('dry'))).json(), 'central_tables')).toMatchObject({
      passed: true,
      details: { missing_tables: [], out_of_sync_tables: {} },
    });
  });

  it('is ready for a slug whose onboarding stopped half-way, which the next onboarding finishes', async () => {
    const org = anOrgSlug('dry');
    expect((await h.root('POST', '/api/v1/admin/organizations', { org_slug: org })).statusCode).toBe(200);
    // What an onboarding cut off before its last step leaves (a crash or a deploy in the middle).
    await h.warehouse.execute(
      `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'PROVISIONING' WHERE org_slug = @org`,
      { org },
    );
    const res = await dryrun(org);
    expect(res.json()).toMatchObject({ status: 'SUCCESS', ready_for_onboarding: true });
    expect(check(res.json(), 'org_existence')).toMatchObject({
      passed: true,
      details: { profile_exists: true, resumes_onboarding: true },
    });
    const onboarded = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
    expect(onboarded.statusCode).toBe(200);
    // Once it is onboarded, the slug is taken.
    expect((await dryrun(org)).json()).toMatchObject({ status: 'FAILED', ready_for_onboarding: false });
  });
});

/** An app of its own: this test drops the whole central dataset. */
describeOnEngines('the onboarding dry run before the bootstrap', (h) => {
  it('says the system is not bootstrapped, and how to bootstrap it, when the central dataset is missing', async () => {
    await h.warehouse.dropDataset(CENTRAL_DATASET);
    const res = await h.root('POST', '/api/v1/organizations/dryrun', h.onboardBody(anOrgSlug('dry')));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'FAILED', ready_for_onboarding: false });
    const central = res
      .json()
      .validation_results.find((c: { check_name: string }) => c.check_name === 'central_tables');
    expect(central).toMatchObject({
      passed: false,
      details: {
        central_dataset_exists: false,
        missing_tables: h.registry.centralTables().map((t) => t.name),
      },
    });
    expect(central.message).toContain('not bootstrapped');
    // The slug check cannot read the (missing) profiles either: it says why, not "could not be completed".
    const existence = res
      .json()
      .validation_results.find((c: { check_name: string }) => c.check_name === 'org_existence');
    expect(existence).toMatchObject({ passed: false, message: central.message });
    expect(central.message).toContain('POST /api/v1/admin/bootstrap');
    // The call it names does it; once done, a table missing is for the sync (the bootstrap would answer 409).
    expect((await h.root('POST', '/api/v1/admin/bootstrap', {})).statusCode).toBe(200);
    await h.warehouse.dropTable(CENTRAL_DATASET, 'org_usage_quotas');
    const after = (
      await h.root('POST', '/api/v1/organizations/dryrun', h.onboardBody(anOrgSlug('dry')))
    ).json();
    const again = after.validation_results.find(
      (c: { check_name: string }) => c.check_name === 'central_tables',
    );
    expect(again).toMatchObject({ passed: false, details: { missing_tables: ['org_usage_quotas'] } });
    expect(again.message).toContain('POST /api/v1/admin/bootstrap/sync');
  });
});
