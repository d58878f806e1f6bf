import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { describeOnEngines, expectProblem, type InjectMethod } from '#test/org-onboarding';

describeOnEngines('organizations: dry run, admin routes, listing, isolation', (h) => {
  describe('dry run', () => {
    it('passes every check for a new slug and creates nothing', async () => {
      const org = anOrgSlug('dry');
      const res = await h.root('POST', '/api/v1/organizations/dryrun', h.onboardBody(org));
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        status: 'SUCCESS',
        org_slug: org,
        subscription_plan: 'STARTER',
        ready_for_onboarding: true,
        validation_summary: { all_passed: true, failed: 0 },
      });
      expect(body.validation_results.map((c: { check_name: string }) => c.check_name)).toEqual([
        'org_slug_format',
        'email_format',
        'warehouse_connectivity',
        'tenancy_db_connectivity',
        'encryption',
        'subscription_plan',
        'org_existence',
        'central_tables',
      ]);
      for (const check of body.validation_results)
        expect(Object.keys(check).sort()).toEqual([
          'check_name',
          'details',
          'message',
          'passed',
          'timestamp',
        ]);
      expect(await h.centralRowsOf(org)).toEqual({});
      expect(await h.tenancyRow(org)).toBeUndefined();
      expect(await h.warehouse.datasetExists(`${org}_local`)).toBe(false);
    });

    it('fails the existence check for an onboarded org', async () => {
      const { org } = await h.onboard();
      const body = (await h.root('POST', '/api/v1/organizations/dryrun', h.onboardBody(org))).json();
      expect(body.status).toBe('FAILED');
      expect(body.ready_for_onboarding).toBe(false);
      expect(
        body.validation_results.find((c: { check_name: string }) => c.check_name === 'org_existence'),
      ).toMatchObject({ passed: false, details: { profile_exists: true, dataset_exists: true } });
    });
  });

  describe('admin create and read', () => {
    it('points a create that meets a half-created org to onboarding, which finishes it', async () => {
      const org = anOrgSlug('adm');
      expect((await h.root('POST', '/api/v1/admin/organizations', { org_slug: org })).statusCode).toBe(200);
      // What a create cut off before its last step leaves.
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'PROVISIONING' WHERE org_slug = @org`,
        { org },
      );
      const again = await h.root('POST', '/api/v1/admin/organizations', { org_slug: org });
      expectProblem(again, 409, 'ORG_EXISTS');
      expect(again.json().detail).toContain('/api/v1/organizations/onboard');
      const finished = await h.root('POST', '/api/v1/organizations/onboard', h.onboardBody(org));
      expect(finished.statusCode).toBe(200);
      expect(await h.profileRow(org)).toMatchObject({ status: 'ACTIVE' });
      expect(
        (await h.withKey(finished.json().api_key, 'GET', `/api/v1/organizations/${org}/api-key`)).statusCode,
      ).toBe(200);
    });

    it("holds the description it makes the company name to onboarding's rules: tags stripped, then the characters", async () => {
      const refused = await h.root('POST', '/api/v1/admin/organizations', {
        org_slug: anOrgSlug('adm'),
        description: '<script>x</script>',
      });
      expectProblem(refused, 422, 'VALIDATION_FAILED');
      expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual(['description']);
    });

    it('names the company after the slug for a blank description, as the reference (`description or slug`)', async () => {
      for (const description of ['', '   ']) {
        const org = anOrgSlug('adm');
        const res = await h.root('POST', '/api/v1/admin/organizations', { org_slug: org, description });
        expect(res.statusCode).toBe(200);
        expect(await h.profileRow(org)).toMatchObject({ company_name: org, status: 'ACTIVE' });
      }
    });

    it('creates an org without a key, refuses a second create, and counts its rows', async () => {
      const org = anOrgSlug('adm');
      const res = await h.root('POST', '/api/v1/admin/organizations', {
        org_slug: org,
        description: 'Legacy Org',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        org_slug: org,
        datasets_created: 1,
        api_keys_count: 0,
        total_pipeline_runs: 0,
      });
      expect(await h.profileRow(org)).toMatchObject({
        company_name: 'Legacy Org',
        status: 'ACTIVE',
        subscription_plan: 'STARTER',
        org_dataset_id: `${org}_local`,
      });
      expect(await h.tenancyRow(org)).toMatchObject({ plan: 'STARTER', pipelines_per_day_limit: 6 });
      expect(await h.warehouse.listTables(`${org}_local`)).toHaveLength(19 + h.registry.orgViews().length);
      expectProblem(
        await h.root('POST', '/api/v1/admin/organizations', { org_slug: org }),
        409,
        'ORG_EXISTS',
      );
      expect(await h.countRows('org_profiles', org)).toBe(1);

      await h.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
        {
          pipeline_logging_id: randomUUID(),
          org_slug: org,
          pipeline_id: 'gcp-billing',
          status: 'COMPLETED',
          start_time: new Date(),
          created_at: new Date(),
        },
      ]);
      expect((await h.root('GET', `/api/v1/admin/organizations/${org}`)).json()).toEqual({
        org_slug: org,
        datasets_created: 1,
        api_keys_count: 0,
        total_pipeline_runs: 1,
      });
      const onboarded = await h.onboard();
      expect(
        (await h.root('GET', `/api/v1/admin/organizations/${onboarded.org}`)).json().api_keys_count,
      ).toBe(1);
      expectProblem(
        await h.root('GET', `/api/v1/admin/organizations/${anOrgSlug('none')}`),
        404,
        'ORG_NOT_FOUND',
      );
    });
  });

  describe('listing', () => {
    it('pages through every org with the real total, newest first', async () => {
      const mine = [await h.onboard(), await h.onboard(), await h.onboard()].map((o) => o.org);
      const first = (await h.root('GET', '/api/v1/organizations?page=1&page_size=2')).json();
      const total = first.total as number;
      expect(total).toBe(
        Number(
          (await h.warehouse.query(`SELECT COUNT(*) AS n FROM \`${CENTRAL_DATASET}.org_profiles\``))[0].n,
        ),
      );
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(total / 2); page++) {
        const res = (await h.root('GET', `/api/v1/organizations?page=${page}&page_size=2`)).json();
        expect(res).toMatchObject({ page, page_size: 2, total, has_next: page * 2 < total });
        seen.push(...res.organizations.map((o: { org_slug: string }) => o.org_slug));
      }
      expect(new Set(seen).size).toBe(total);
      expect(seen.slice(0, 3)).toEqual([...mine].reverse());
      expect(first.organizations[0]).toEqual({
        org_slug: mine[2],
        company_name: h.companyOf(mine[2]),
        admin_email: h.emailOf(mine[2]),
        subscription_plan: 'STARTER',
        status: 'ACTIVE',
        default_currency: 'USD',
        default_timezone: 'UTC',
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    });

    it('filters by status and checks the page size', async () => {
      const { org } = await h.onboard();
      await h.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
        { org },
      );
      const suspended = (await h.root('GET', '/api/v1/organizations?status=suspended&page_size=100')).json();
      expect(suspended.organizations.map((o: { org_slug: string }) => o.org_slug)).toContain(org);
      expect(suspended.organizations.every((o: { status: string }) => o.status === 'SUSPENDED')).toBe(true);
      expect(suspended.total).toBe(suspended.organizations.length);
      // An empty status is every status, as a dashboard's "All" sends it.
      const all = (await h.root('GET', '/api/v1/organizations?status=&page_size=100')).json();
      expect(all.total).toBeGreaterThan(suspended.total);
      expectProblem(await h.root('GET', '/api/v1/organizations?page_size=101'), 422, 'VALIDATION_FAILED');
      expectProblem(await h.root('GET', '/api/v1/organizations?page=0'), 422, 'VALIDATION_FAILED');
      // An empty (or value-less) page parameter is the default, as on every paged route.
      for (const query of ['page=&page_size=', 'page&page_size']) {
        const res = await h.root('GET', `/api/v1/organizations?${query}`);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
        expect(res.json()).toMatchObject({ page: 1, page_size: 50 });
      }
      expectProblem(await h.root('GET', '/api/v1/organizations?page=10000001'), 422, 'VALIDATION_FAILED');
    });
  });

  describe('tenant isolation', () => {
    it("refuses one org's key on every org-scoped route of another", async () => {
      const a = await h.onboard();
      const b = await h.onboard();
      const orgOrRoot: [InjectMethod, string, object?][] = [
        ['GET', `/api/v1/organizations/${b.org}/locale`],
        ['PUT', `/api/v1/organizations/${b.org}/locale`, { default_currency: 'EUR' }],
        ['GET', `/api/v1/organizations/${b.org}/subscription`],
      ];
      for (const [method, url, payload] of orgOrRoot)
        expectProblem(await h.withKey(a.key, method, url, payload), 403, 'ORG_FORBIDDEN');
      // Root-only routes refuse any org key before looking at the org.
      const rootOnly: [InjectMethod, string, object?][] = [
        ['GET', `/api/v1/organizations/${b.org}/status`],
        ['POST', `/api/v1/organizations/${b.org}/sync`, {}],
        ['POST', `/api/v1/${b.org}/repair-tables`],
        ['PUT', `/api/v1/organizations/${b.org}/subscription`, { daily_limit: 1 }],
        ['GET', `/api/v1/organizations/${b.org}/members/emails`],
        ['DELETE', `/api/v1/organizations/${b.org}`, { confirm_org_slug: b.org }],
        ['GET', `/api/v1/admin/organizations/${b.org}`],
      ];
      for (const [method, url, payload] of rootOnly)
        expectProblem(await h.withKey(a.key, method, url, payload), 401, 'ROOT_KEY_REQUIRED');
      expect((await h.root('GET', `/api/v1/organizations/${b.org}/locale`)).json().default_currency).toBe(
        'USD',
      );
      expect(await h.profileRow(b.org)).toMatchObject({ status: 'ACTIVE' });
    });
  });

  describe('concurrent updates', () => {
    it('applies every one of many simultaneous locale and subscription updates of one org', async () => {
      const { org } = await h.onboard();
      const currencies = ['EUR', 'GBP', 'JPY', 'INR', 'AUD', 'CAD'];
      const answers = await Promise.all([
        ...currencies.map((c) =>
          h.root('PUT', `/api/v1/organizations/${org}/locale`, { default_currency: c }),
        ),
        ...[1, 2, 3, 4, 5, 6].map((n) =>
          h.root('PUT', `/api/v1/organizations/${org}/subscription`, { daily_limit: n }),
        ),
      ]);
      expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 200));
      const locale = (await h.root('GET', `/api/v1/organizations/${org}/locale`)).json();
      expect(currencies).toContain(locale.default_currency);
    });
  });

  describe('OpenAPI document', () => {
    it('lists every route of the module with its auth', async () => {
      const doc = (await h.inject({ method: 'GET', url: '/openapi.json' })).json();
      const ROOT = [{ RootKey: [] }];
      const ORG_OR_ROOT = [{ ApiKey: [] }, { RootKey: [] }];
      const expected: [string, string, object[]][] = [
        ['/api/v1/organizations/dryrun', 'post', ROOT],
        ['/api/v1/organizations/onboard', 'post', ROOT],
        ['/api/v1/organizations', 'get', ROOT],
        ['/api/v1/organizations/{org}', 'delete', ROOT],
        ['/api/v1/organizations/{org}/status', 'get', ROOT],
        ['/api/v1/organizations/{org}/sync', 'post', ROOT],
        ['/api/v1/{org}/repair-tables', 'post', ROOT],
        ['/api/v1/organizations/{org}/members/emails', 'get', ROOT],
        ['/api/v1/organizations/{org}/locale', 'get', ORG_OR_ROOT],
        ['/api/v1/organizations/{org}/locale', 'put', ORG_OR_ROOT],
        ['/api/v1/organizations/{org}/subscription', 'get', ORG_OR_ROOT],
        ['/api/v1/organizations/{org}/subscription', 'put', ROOT],
        ['/api/v1/admin/organizations', 'post', ROOT],
        ['/api/v1/admin/organizations/{org}', 'get', ROOT],
      ];
      for (const [path, method, security] of expected) {
        const op = doc.paths[path]?.[method];
        expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
        expect(op.security, `${method.toUpperCase()} ${path}`).toEqual(security);
        expect(op.responses['200']?.content?.['application/json']?.schema, `${method} ${path}`).toBeDefined();
      }
      const onboardOp = doc.paths['/api/v1/organizations/onboard'].post;
      expect(onboardOp.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    });
  });
});
