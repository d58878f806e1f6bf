import { CENTRAL_DATASET, type TableSchema } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectProblem } from '#test/org-onboarding';

describeOnEngines('organizations: onboarding', (h) => {
  describe('onboarding', () => {
    it('creates profile, key, tenancy limits, the 19 tables, the views and the default hierarchy', async () => {
      const { org, key, body } = await h.onboard({
        subscription_plan: 'professional',
        default_currency: 'inr',
        default_timezone: 'Asia/Kolkata',
      });
      expect(body).toMatchObject({
        org_slug: org,
        subscription_plan: 'PROFESSIONAL',
        default_currency: 'INR',
        default_country: 'IN',
        default_language: 'en',
        default_timezone: 'Asia/Kolkata',
        dataset_location: 'US',
        dataset_created: true,
        hierarchy_seeded: { levels: 3, entities: 20 },
        dryrun_status: 'SKIPPED',
      });
      expect(key).toMatch(new RegExp(`^${org}_api_[A-Za-z0-9_-]{32}$`));
      expect(body.tables_created).toEqual(h.registry.orgTables().map((tb: TableSchema) => tb.name));
      expect(body.tables_created).toHaveLength(19);
      expect([...body.views_created].sort()).toEqual(
        h.registry
          .orgViews()
          .map((v) => v.name)
          .sort(),
      );

      expect(await h.profileRow(org)).toMatchObject({
        status: 'ACTIVE',
        org_dataset_id: `${org}_local`,
        subscription_plan: 'PROFESSIONAL',
        default_currency: 'INR',
        default_country: 'IN',
        default_language: 'en',
        default_timezone: 'Asia/Kolkata',
        fiscal_year_start_month: 1,
      });
      expect(await h.tenancyRow(org)).toMatchObject({
        plan: 'PROFESSIONAL',
        company_name: h.companyOf(org),
        admin_email: h.emailOf(org),
        pipelines_per_day_limit: 25,
        pipelines_per_month_limit: 750,
        concurrent_pipelines_limit: 2,
        seat_limit: 6,
        providers_limit: 6,
        backend_onboarded: true,
        backend_quota_synced: true,
        backend_api_key_fingerprint: key.slice(-4),
      });
      expect(await h.warehouse.listTables(`${org}_local`)).toHaveLength(19 + h.registry.orgViews().length);
      expect(await h.countRows('org_hierarchy_levels', org)).toBe(3);
      const [data] = await h.warehouse.query(
        `SELECT path, path_ids, path_names, depth, version, created_by FROM \`${CENTRAL_DATASET}.org_hierarchy\`
         WHERE org_slug = @org AND entity_id = 'TEAM-DATA'`,
        { org },
      );
      expect(data).toEqual({
        path: '/DEPT-CIO/PROJ-CTO/TEAM-DATA',
        path_ids: ['DEPT-CIO', 'PROJ-CTO', 'TEAM-DATA'],
        path_names: ['Group CIO', 'Engineering', 'Data'],
        depth: 2,
        version: 1,
        created_by: 'system',
      });
      const hierarchyView = await h.warehouse.query(
        `SELECT COUNT(*) AS n FROM \`${org}_local.x_org_hierarchy\``,
      );
      expect(Number(hierarchyView[0].n)).toBe(20);
      const audit = await h.warehouse.query(
        `SELECT action, resource_type, status FROM \`${CENTRAL_DATASET}.org_audit_logs\` WHERE org_slug = @org`,
        { org },
      );
      expect(audit).toEqual([{ action: 'CREATE', resource_type: 'ORGANIZATION', status: 'SUCCESS' }]);
      expect((await h.withKey(key, 'GET', `/api/v1/organizations/${org}/locale`)).statusCode).toBe(200);
    });

    it('updates the row the frontend created at signup instead of failing', async () => {
      const org = anOrgSlug('fe');
      const [signup] = await h.db.insert('organizations', [
        { org_slug: org, company_name: 'Signup Name', plan: 'STARTER', billing_status: 'trialing' },
      ]);
      const { key } = await h.onboard({ subscription_plan: 'SCALE' }, org);
      const row = await h.tenancyRow(org);
      expect(row).toMatchObject({
        id: signup.id,
        plan: 'SCALE',
        billing_status: 'trialing',
        pipelines_per_day_limit: 100,
        concurrent_pipelines_limit: 5,
        backend_onboarded: true,
        backend_api_key_fingerprint: key.slice(-4),
      });
      expect(await h.db.select('organizations', { org_slug: org })).toHaveLength(1);
    });

    it('onboards and serves an org whose slug starts with a digit (the slug rule allows it)', async () => {
      const { org, key } = await h.onboard({}, `9${anOrgSlug('d')}`);
      for (const url of [
        `/api/v1/organizations/${org}/quota`,
        `/api/v1/costs/${org}/summary`,
        `/api/v1/pipelines/${org}/runs`,
      ]) {
        const res = await h.withKey(key, 'GET', url);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      }
      const status = await h.root('GET', `/api/v1/organizations/${org}/status`);
      expect(status.statusCode, status.body).toBe(200);
    });

    it('lists every invalid field with 422 and creates nothing', async () => {
      const org = anOrgSlug('bad');
      const res = await h.root('POST', '/api/v1/organizations/onboard', {
        org_slug: 'Bad-Slug',
        company_name: 'Evil <script>alert(1)</script> \\ Co',
        admin_email: 'not-an-email',
        subscription_plan: 'GOLD',
        default_currency: 'XYZ',
        default_timezone: 'Mars/Base',
        dataset_location: 'moon-1',
        is_admin: true,
      });
      expectProblem(res, 422, 'VALIDATION_FAILED');
      const fields = new Set(res.json().errors.map((e: { field: string }) => e.field));
      expect([...fields].sort()).toEqual(
        [
          'admin_email',
          'company_name',
          'dataset_location',
          'default_currency',
          'default_timezone',
          'is_admin',
          'org_slug',
          'subscription_plan',
        ].sort(),
      );
      expect(await h.centralRowsOf(org)).toEqual({});
    });

    it('strips HTML tags from the company name before checking it', async () => {
      const { org } = await h.onboard({ company_name: '<b>Acme</b> & Sons (EU)' });
      expect((await h.profileRow(org)).company_name).toBe('Acme & Sons (EU)');
    });

    it('separates the words of a company name by ordinary spaces only (no line break, tab or other space)', async () => {
      // Each of these ended up in email headers, CSV exports and log lines as a break of its own.
      for (const space of ['\n', '\r', '\t', '\u2028', '\u2029', '\u00a0', '\u3000', '\v']) {
        const org = anOrgSlug('ws');
        const res = await h.root('POST', '/api/v1/organizations/onboard', {
          ...h.onboardBody(org),
          company_name: `Acme${space}Inc`,
        });
        expectProblem(res, 422, 'VALIDATION_FAILED');
        expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['company_name']);
        expect(await h.centralRowsOf(org)).toEqual({});
      }
      const { org } = await h.onboard({ company_name: '\n Acme  Sons Inc.\t' });
      expect((await h.profileRow(org)).company_name).toBe('Acme  Sons Inc.');
    });

    it('strips them in time linear in the name: 300,000 "<" are refused at once', async () => {
      // Each '<' began a match that ran to the end of the text looking for its '>': 100,000 of
      // them held the event loop 10 s, these 90 s (past the test's timeout), a body of 10 MiB (the
      // limit) about a day.
      const res = await h.root('POST', '/api/v1/organizations/onboard', {
        ...h.onboardBody(anOrgSlug('lt')),
        company_name: `Acme ${'<'.repeat(300_000)}`,
      });
      expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(new Set(res.json().errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['company_name']),
      );
    });
  });

  describe('idempotent onboarding', () => {
    it('creates one org for 20 concurrent calls with one Idempotency-Key, showing the key once', async () => {
      const org = anOrgSlug('idem');
      const idempotencyKey = `onboard-${org}`;
      const call = (body: object) =>
        h.root('POST', '/api/v1/organizations/onboard', body, { 'idempotency-key': idempotencyKey });
      const results = await Promise.all(Array.from({ length: 20 }, () => call(h.onboardBody(org))));
      const outcomes = results.map((r) =>
        r.statusCode === 200
          ? r.json().api_key === '[redacted]'
            ? 'replay'
            : 'key'
          : `${r.statusCode} ${r.json().code}`,
      );
      expect(outcomes.filter((o) => o === 'key')).toHaveLength(1);
      expect(
        outcomes.filter((o) => o !== 'key' && o !== 'replay' && o !== '409 IDEMPOTENCY_REQUEST_IN_PROGRESS'),
      ).toEqual([]);
      expect(await h.countRows('org_profiles', org)).toBe(1);
      expect(await h.countRows('org_api_keys', org)).toBe(1);
      expect(await h.db.select('organizations', { org_slug: org })).toHaveLength(1);

      const first = results.find((r) => r.statusCode === 200 && r.json().api_key !== '[redacted]');
      const replay = await call(h.onboardBody(org));
      expect(replay.statusCode).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual({ ...first?.json(), api_key: '[redacted]' });
      expect(await h.countRows('org_api_keys', org)).toBe(1);

      const changed = await call(h.onboardBody(org, { subscription_plan: 'SCALE' }));
      expectProblem(changed, 422, 'IDEMPOTENCY_KEY_REUSED');
      expect((await h.tenancyRow(org)).plan).toBe('STARTER');
    });
  });
});
