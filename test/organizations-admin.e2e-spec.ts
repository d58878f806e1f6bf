import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
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
  describe(`organizations: dry run, admin routes, listing, isolation on ${engine}`, () => {
    let t: TestApp;
    let env: Record<string, string>;
    let warehouse: Warehouse;
    let db: TenancyDb;
    let registry: SchemaRegistry;

    beforeAll(async () => {
      env = engineEnv();
      t = await startTestApp({ ...NO_LIMITS, ...env });
      warehouse = t.app.get<Warehouse>(WAREHOUSE);
      db = t.app.get<TenancyDb>(TENANCY_DB);
      registry = t.app.get(SchemaRegistry);
    });
    afterAll(async () => {
      await t?.close();
      if (env.TENANCY_DB_SCHEMA) await dropTestSchema(env);
    });

    const inject = (opts: Inject) => t.app.inject(opts);
    const root = (method: Inject['method'], url: string, payload?: object) =>
      inject({ method, url, headers: rootHeaders, ...(payload ? { payload } : {}) });
    const withKey = (key: string, method: Inject['method'], url: string, payload?: object) =>
      inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
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
    const tenancyRow = async (org: string) => (await db.select('organizations', { org_slug: org }))[0];
    const profileRow = async (org: string) =>
      (
        await warehouse.query(`SELECT * FROM \`${CENTRAL_DATASET}.org_profiles\` WHERE org_slug = @org`, {
          org,
        })
      )[0];
    const countRows = async (table: string, org: string) =>
      Number(
        (
          await warehouse.query<{ n: number }>(
            `SELECT COUNT(*) AS n FROM \`${CENTRAL_DATASET}.${table}\` WHERE org_slug = @org`,
            { org },
          )
        )[0].n,
      );
    const centralRowsOf = async (org: string) => {
      const found: Record<string, number> = {};
      for (const table of registry.centralTables()) {
        const n = await countRows(table.name, org);
        if (n) found[table.name] = n;
      }
      return found;
    };

    describe('dry run', () => {
      it('passes every check for a new slug and creates nothing', async () => {
        const org = anOrgSlug('dry');
        const res = await root('POST', '/api/v1/organizations/dryrun', onboardBody(org));
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
        expect(await centralRowsOf(org)).toEqual({});
        expect(await tenancyRow(org)).toBeUndefined();
        expect(await warehouse.datasetExists(`${org}_local`)).toBe(false);
      });

      it('fails the existence check for an onboarded org', async () => {
        const { org } = await onboard();
        const body = (await root('POST', '/api/v1/organizations/dryrun', onboardBody(org))).json();
        expect(body.status).toBe('FAILED');
        expect(body.ready_for_onboarding).toBe(false);
        expect(
          body.validation_results.find((c: { check_name: string }) => c.check_name === 'org_existence'),
        ).toMatchObject({ passed: false, details: { profile_exists: true, dataset_exists: true } });
      });
    });

    describe('admin create and read', () => {
      it('creates an org without a key, refuses a second create, and counts its rows', async () => {
        const org = anOrgSlug('adm');
        const res = await root('POST', '/api/v1/admin/organizations', {
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
        expect(await profileRow(org)).toMatchObject({
          company_name: 'Legacy Org',
          status: 'ACTIVE',
          subscription_plan: 'STARTER',
          org_dataset_id: `${org}_local`,
        });
        expect(await tenancyRow(org)).toMatchObject({ plan: 'STARTER', pipelines_per_day_limit: 6 });
        expect(await warehouse.listTables(`${org}_local`)).toHaveLength(19 + registry.orgViews().length);
        expectProblem(
          await root('POST', '/api/v1/admin/organizations', { org_slug: org }),
          409,
          'ORG_EXISTS',
        );
        expect(await countRows('org_profiles', org)).toBe(1);

        await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
          {
            pipeline_logging_id: randomUUID(),
            org_slug: org,
            pipeline_id: 'gcp-billing',
            status: 'COMPLETED',
            start_time: new Date(),
            created_at: new Date(),
          },
        ]);
        expect((await root('GET', `/api/v1/admin/organizations/${org}`)).json()).toEqual({
          org_slug: org,
          datasets_created: 1,
          api_keys_count: 0,
          total_pipeline_runs: 1,
        });
        const onboarded = await onboard();
        expect(
          (await root('GET', `/api/v1/admin/organizations/${onboarded.org}`)).json().api_keys_count,
        ).toBe(1);
        expectProblem(
          await root('GET', `/api/v1/admin/organizations/${anOrgSlug('none')}`),
          404,
          'ORG_NOT_FOUND',
        );
      });
    });

    describe('listing', () => {
      it('pages through every org with the real total, newest first', async () => {
        const mine = [await onboard(), await onboard(), await onboard()].map((o) => o.org);
        const first = (await root('GET', '/api/v1/organizations?page=1&page_size=2')).json();
        const total = first.total as number;
        expect(total).toBe(
          Number(
            (await warehouse.query(`SELECT COUNT(*) AS n FROM \`${CENTRAL_DATASET}.org_profiles\``))[0].n,
          ),
        );
        const seen: string[] = [];
        for (let page = 1; page <= Math.ceil(total / 2); page++) {
          const res = (await root('GET', `/api/v1/organizations?page=${page}&page_size=2`)).json();
          expect(res).toMatchObject({ page, page_size: 2, total, has_next: page * 2 < total });
          seen.push(...res.organizations.map((o: { org_slug: string }) => o.org_slug));
        }
        expect(new Set(seen).size).toBe(total);
        expect(seen.slice(0, 3)).toEqual([...mine].reverse());
        expect(first.organizations[0]).toEqual({
          org_slug: mine[2],
          company_name: companyOf(mine[2]),
          admin_email: emailOf(mine[2]),
          subscription_plan: 'STARTER',
          status: 'ACTIVE',
          default_currency: 'USD',
          default_timezone: 'UTC',
          created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        });
      });

      it('filters by status and checks the page size', async () => {
        const { org } = await onboard();
        await warehouse.execute(
          `UPDATE \`${CENTRAL_DATASET}.org_profiles\` SET status = 'SUSPENDED' WHERE org_slug = @org`,
          { org },
        );
        const suspended = (await root('GET', '/api/v1/organizations?status=suspended&page_size=100')).json();
        expect(suspended.organizations.map((o: { org_slug: string }) => o.org_slug)).toContain(org);
        expect(suspended.organizations.every((o: { status: string }) => o.status === 'SUSPENDED')).toBe(true);
        expect(suspended.total).toBe(suspended.organizations.length);
        expectProblem(await root('GET', '/api/v1/organizations?page_size=101'), 422, 'VALIDATION_FAILED');
        expectProblem(await root('GET', '/api/v1/organizations?page=0'), 422, 'VALIDATION_FAILED');
      });
    });

    describe('tenant isolation', () => {
      it("refuses one org's key on every org-scoped route of another", async () => {
        const a = await onboard();
        const b = await onboard();
        const orgOrRoot: [Inject['method'], string, object?][] = [
          ['GET', `/api/v1/organizations/${b.org}/locale`],
          ['PUT', `/api/v1/organizations/${b.org}/locale`, { default_currency: 'EUR' }],
          ['GET', `/api/v1/organizations/${b.org}/subscription`],
        ];
        for (const [method, url, payload] of orgOrRoot)
          expectProblem(await withKey(a.key, method, url, payload), 403, 'ORG_FORBIDDEN');
        // Root-only routes refuse any org key before looking at the org.
        const rootOnly: [Inject['method'], string, object?][] = [
          ['GET', `/api/v1/organizations/${b.org}/status`],
          ['POST', `/api/v1/organizations/${b.org}/sync`, {}],
          ['POST', `/api/v1/${b.org}/repair-tables`],
          ['PUT', `/api/v1/organizations/${b.org}/subscription`, { daily_limit: 1 }],
          ['GET', `/api/v1/organizations/${b.org}/members/emails`],
          ['DELETE', `/api/v1/organizations/${b.org}`, { confirm_org_slug: b.org }],
          ['GET', `/api/v1/admin/organizations/${b.org}`],
        ];
        for (const [method, url, payload] of rootOnly)
          expectProblem(await withKey(a.key, method, url, payload), 401, 'ROOT_KEY_REQUIRED');
        expect((await root('GET', `/api/v1/organizations/${b.org}/locale`)).json().default_currency).toBe(
          'USD',
        );
        expect(await profileRow(b.org)).toMatchObject({ status: 'ACTIVE' });
      });
    });

    describe('OpenAPI document', () => {
      it('lists every route of the module with its auth', async () => {
        const doc = (await inject({ method: 'GET', url: '/openapi.json' })).json();
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
          expect(
            op.responses['200']?.content?.['application/json']?.schema,
            `${method} ${path}`,
          ).toBeDefined();
        }
        const onboardOp = doc.paths['/api/v1/organizations/onboard'].post;
        expect(onboardOp.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
      });
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
