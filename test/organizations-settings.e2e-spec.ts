import type { LightMyRequestResponse } from 'fastify';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
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
  describe(`organizations: locale, subscription, members on ${engine}`, () => {
    let t: TestApp;
    let env: Record<string, string>;
    let warehouse: Warehouse;
    let db: TenancyDb;

    beforeAll(async () => {
      env = engineEnv();
      t = await startTestApp({ ...NO_LIMITS, ...env });
      warehouse = t.app.get<Warehouse>(WAREHOUSE);
      db = t.app.get<TenancyDb>(TENANCY_DB);
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

    describe('locale', () => {
      it('is read with the org key and changed with it; the country follows the currency', async () => {
        const { org, key } = await onboard();
        const url = `/api/v1/organizations/${org}/locale`;
        expect((await withKey(key, 'GET', url)).json()).toEqual({
          org_slug: org,
          default_currency: 'USD',
          default_country: 'US',
          default_language: 'en',
          default_timezone: 'UTC',
          currency_symbol: '$',
          currency_name: 'US Dollar',
          currency_decimals: 2,
        });
        const changed = await withKey(key, 'PUT', url, { default_currency: 'KWD' });
        expect(changed.statusCode).toBe(200);
        expect(changed.json()).toMatchObject({
          default_currency: 'KWD',
          default_country: 'KW',
          default_timezone: 'UTC',
          currency_decimals: 3,
        });
        await withKey(key, 'PUT', url, { default_timezone: 'Europe/Paris' });
        expect((await root('GET', url)).json()).toMatchObject({
          default_currency: 'KWD',
          default_timezone: 'Europe/Paris',
        });
        expect(await profileRow(org)).toMatchObject({ default_currency: 'KWD', default_country: 'KW' });
        const audit = await warehouse.query(
          `SELECT action, resource_type, details FROM \`${CENTRAL_DATASET}.org_audit_logs\`
           WHERE org_slug = @org AND action = 'UPDATE' ORDER BY created_at`,
          { org },
        );
        expect(audit.map((a) => [a.action, a.resource_type, (a.details as { field: string }).field])).toEqual(
          [
            ['UPDATE', 'ORGANIZATION', 'locale'],
            ['UPDATE', 'ORGANIZATION', 'locale'],
          ],
        );
      });

      it('needs at least one known field (422) and an existing org (404)', async () => {
        const { org, key } = await onboard();
        const url = `/api/v1/organizations/${org}/locale`;
        const empty = await withKey(key, 'PUT', url, {});
        expectProblem(empty, 422, 'VALIDATION_FAILED');
        expect(
          empty
            .json()
            .errors.map((e: { field: string }) => e.field)
            .sort(),
        ).toEqual(['default_currency', 'default_timezone']);
        expectProblem(await withKey(key, 'PUT', url, { default_currency: 'XYZ' }), 422, 'VALIDATION_FAILED');
        expectProblem(
          await root('GET', `/api/v1/organizations/${anOrgSlug('none')}/locale`),
          404,
          'ORG_NOT_FOUND',
        );
      });
    });

    describe('subscription', () => {
      it('reads the plan limits the tenancy DB holds', async () => {
        const { org, key } = await onboard({ subscription_plan: 'SCALE' });
        const res = await withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({
          org_slug: org,
          subscription_id: '',
          plan_name: 'SCALE',
          status: 'ACTIVE',
          daily_limit: 100,
          monthly_limit: 3000,
          concurrent_limit: 5,
          seat_limit: 11,
          providers_limit: 10,
          trial_end_date: null,
        });
      });

      it('changes the tenancy-DB limits, defaulting the missing ones to the new plan', async () => {
        const { org, key } = await onboard();
        const res = await root('PUT', `/api/v1/organizations/${org}/subscription`, {
          plan_name: 'professional',
          daily_limit: 40,
          status: 'TRIAL',
          trial_end_date: '2026-03-01T12:00:00Z',
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          org_slug: org,
          plan_name: 'PROFESSIONAL',
          status: 'TRIAL',
          daily_limit: 40,
          monthly_limit: 750,
          concurrent_limit: 2,
          seat_limit: 6,
          providers_limit: 6,
          trial_end_date: '2026-03-01',
          updated: true,
          message: expect.any(String),
        });
        expect(await tenancyRow(org)).toMatchObject({
          plan: 'PROFESSIONAL',
          billing_status: 'trialing',
          pipelines_per_day_limit: 40,
          pipelines_per_month_limit: 750,
          concurrent_pipelines_limit: 2,
          seat_limit: 6,
          providers_limit: 6,
          trial_ends_at: expect.stringMatching(/^2026-03-01T00:00:00/),
        });
        expect((await profileRow(org)).subscription_plan).toBe('PROFESSIONAL');
        expect((await withKey(key, 'GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject(
          {
            plan_name: 'PROFESSIONAL',
            status: 'TRIAL',
            daily_limit: 40,
            trial_end_date: '2026-03-01',
          },
        );
        const [audit] = await warehouse.query(
          `SELECT status FROM \`${CENTRAL_DATASET}.org_audit_logs\`
           WHERE org_slug = @org AND action = 'UPDATE' AND resource_type = 'SUBSCRIPTION'`,
          { org },
        );
        expect(audit).toEqual({ status: 'SUCCESS' });
      });

      it('maps every status to the Stripe billing status and back', async () => {
        const { org } = await onboard();
        const url = `/api/v1/organizations/${org}/subscription`;
        for (const [status, billing] of [
          ['SUSPENDED', 'paused'],
          ['CANCELLED', 'canceled'],
          ['EXPIRED', 'incomplete_expired'],
          ['ACTIVE', 'active'],
        ]) {
          expect((await root('PUT', url, { status })).statusCode).toBe(200);
          expect((await tenancyRow(org)).billing_status).toBe(billing);
          expect((await root('GET', url)).json().status).toBe(status);
        }
      });

      it("falls back to the profile plan's defaults when the tenancy row is missing, never a 500", async () => {
        const { org } = await onboard({ subscription_plan: 'PROFESSIONAL' });
        await db.delete('organizations', { org_slug: org });
        const res = await root('GET', `/api/v1/organizations/${org}/subscription`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ plan_name: 'PROFESSIONAL', daily_limit: 25, monthly_limit: 750 });
      });

      it('refuses out-of-range limits, an unreadable trial date and an unknown org', async () => {
        const { org } = await onboard();
        const bad = await root('PUT', `/api/v1/organizations/${org}/subscription`, {
          daily_limit: 0,
          concurrent_limit: 101,
          trial_end_date: 'soon',
          plan_name: 'GOLD',
        });
        expectProblem(bad, 422, 'VALIDATION_FAILED');
        expect(
          bad
            .json()
            .errors.map((e: { field: string }) => e.field)
            .sort(),
        ).toEqual(['concurrent_limit', 'daily_limit', 'plan_name', 'trial_end_date']);
        expectProblem(
          await root('PUT', `/api/v1/organizations/${anOrgSlug('none')}/subscription`, { daily_limit: 5 }),
          404,
          'ORG_NOT_FOUND',
        );
      });
    });

    describe('member emails', () => {
      it('lists the active members from the tenancy DB, optionally by role', async () => {
        const { org } = await onboard();
        const other = await onboard();
        const orgId = (await tenancyRow(org)).id as string;
        const otherId = (await tenancyRow(other.org)).id as string;
        const user = async (email: string, name: string | null) =>
          (await db.insert('profiles', [{ email, full_name: name }]))[0].id as string;
        const owner = await user('owner@example.com', 'Olivia Owner');
        const admin = await user('admin@example.com', 'Adam Admin');
        const gone = await user('gone@example.com', 'Gone Person');
        const stranger = await user('stranger@example.com', null);
        await db.insert('organization_members', [
          { org_id: orgId, user_id: owner, role: 'owner', status: 'active' },
          { org_id: orgId, user_id: admin, role: 'admin', status: 'active' },
          { org_id: orgId, user_id: gone, role: 'admin', status: 'inactive' },
          { org_id: otherId, user_id: stranger, role: 'owner', status: 'active' },
        ]);
        const all = (await root('GET', `/api/v1/organizations/${org}/members/emails`)).json();
        expect(all.org_slug).toBe(org);
        expect(all.count).toBe(2);
        expect(all.members).toEqual(
          expect.arrayContaining([
            { email: 'owner@example.com', name: 'Olivia Owner', role: 'owner' },
            { email: 'admin@example.com', name: 'Adam Admin', role: 'admin' },
          ]),
        );
        expect((await root('GET', `/api/v1/organizations/${org}/members/emails?role=admin`)).json()).toEqual({
          org_slug: org,
          members: [{ email: 'admin@example.com', name: 'Adam Admin', role: 'admin' }],
          count: 1,
        });
        expectProblem(
          await root('GET', `/api/v1/organizations/${org}/members/emails?role=boss`),
          422,
          'VALIDATION_FAILED',
        );
        expectProblem(
          await root('GET', `/api/v1/organizations/${anOrgSlug('none')}/members/emails`),
          404,
          'ORG_NOT_FOUND',
        );
      });
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
