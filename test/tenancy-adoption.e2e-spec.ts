import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteTenancyDb, type PlanLimitsTable, PgTenancyDb, type SqlTransactor } from '#tenancy-db';
import { anOrgSlug } from '#test/org-factory';
import { NO_LIMITS, orgHarness } from '#test/org-onboarding';
import { dropTestSchema, postgresTenancyEnv, startTestApp, type TestApp } from '#test/test-app';
import { PLAN_LIMITS } from '../apps/api/src/organizations/plan-limits.provider.js';

/**
 * The Supabase project of the system this API replaces: the dashboard's migrations made
 * `organizations` (org_name and created_by required, plan free text, its limits defaulted, the
 * monthly one to 0, a trigger and RLS of its own). The API's migrations adopt that table and the
 * dashboard's rows keep working: the same shape, as far as the API meets it.
 */
const DASHBOARD_SCHEMA = `
-- Supabase's API roles (PostgREST's: the browser's anon key, its signed-in users, the service key)
-- and the default privileges its projects give them on everything new in the schema. The roles are
-- the cluster's: made once on a shared server, by whichever run gets there first.
DO $roles$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END LOOP;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO anon, authenticated, service_role', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON TABLES TO anon, authenticated, service_role', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role', current_schema());
END
$roles$;
CREATE FUNCTION handle_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_name text NOT NULL CHECK (length(org_name) >= 2 AND length(org_name) <= 100),
  org_slug text UNIQUE NOT NULL
    CHECK (org_slug ~ '^[a-z0-9][a-z0-9_-]*[a-z0-9]$' AND length(org_slug) BETWEEN 3 AND 50),
  created_by uuid NOT NULL,
  plan text,
  billing_status text NOT NULL DEFAULT 'trialing' CHECK (billing_status IN (
    'trialing', 'active', 'past_due', 'canceled', 'incomplete', 'incomplete_expired', 'paused', 'unpaid')),
  stripe_customer_id text,
  stripe_subscription_id text UNIQUE,
  stripe_price_id text,
  trial_ends_at timestamptz DEFAULT (now() + interval '14 days'),
  current_period_start timestamptz,
  current_period_end timestamptz DEFAULT (now() + interval '1 month'),
  seat_limit integer NOT NULL DEFAULT 2,
  providers_limit integer NOT NULL DEFAULT 3,
  pipelines_per_day_limit integer NOT NULL DEFAULT 6,
  pipelines_per_week_limit integer DEFAULT 0,
  pipelines_per_month_limit integer DEFAULT 0,
  concurrent_pipelines_limit integer NOT NULL DEFAULT 2,
  backend_onboarded boolean DEFAULT false,
  backend_api_key_fingerprint text,
  backend_onboarded_at timestamptz,
  backend_quota_synced boolean DEFAULT false,
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL
);
CREATE TRIGGER set_organizations_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION handle_updated_at();
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
-- The dashboard's migration runner keeps its own record.
CREATE TABLE schema_migrations (
  id serial PRIMARY KEY,
  filename text NOT NULL UNIQUE,
  checksum text,
  applied_at timestamptz DEFAULT now()
);
INSERT INTO schema_migrations (filename, checksum) VALUES ('01_production_setup.sql', 'dashboard');
CREATE TABLE profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  full_name text,
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL
);
-- No updated_at here: joined_at and last_active_at instead.
CREATE TABLE organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'read_only' CHECK (role IN ('owner', 'collaborator', 'read_only')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
  joined_at timestamptz DEFAULT now() NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  last_active_at timestamptz,
  UNIQUE (org_id, user_id)
);
-- Since 30 October 2026 a project grants its new tables in public to none of those roles (Supabase
-- changelog 45329); the tables above keep what they were granted.
DO $flip$
BEGIN
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM anon, authenticated, service_role', current_schema());
END
$flip$;
`;

/** A row as the dashboard writes it at signup: its own name column, Stripe's plan id, limits left to their defaults. */
const dashboardRow = (org: string) => `
INSERT INTO organizations (org_name, org_slug, created_by, plan, billing_status, pipelines_per_day_limit)
VALUES ('Dashboard ${org}', '${org}', gen_random_uuid(), 'starter', 'trialing', 6);
INSERT INTO profiles (email, full_name) VALUES ('owner@${org}.example', 'Olive Owner');
INSERT INTO organization_members (org_id, user_id, role)
SELECT o.id, p.id, 'owner' FROM organizations o, profiles p WHERE o.org_slug = '${org}';`;

async function prepare(db: SqlTransactor & { close(): Promise<void> }, org: string): Promise<void> {
  try {
    await db.transaction((s) => s.exec(DASHBOARD_SCHEMA + dashboardRow(org)));
  } finally {
    await db.close();
  }
}

function describeAdoption(engine: string, setUp: (org: string) => Promise<Record<string, string>>) {
  describe(`taking over the dashboard's organizations table on ${engine}`, () => {
    const org = anOrgSlug('dash');
    let t: TestApp;
    let env: Record<string, string>;
    let key: string;
    const h = orgHarness(() => t);

    beforeAll(async () => {
      env = await setUp(org);
      // Starting applies the migrations to the database the dashboard made.
      t = await startTestApp({ ...NO_LIMITS, ...env });
    });
    afterAll(async () => {
      await t?.close();
      if (env?.TENANCY_DB_SCHEMA) await dropTestSchema(env);
      if (env?.PGLITE_DIR) fs.rmSync(env.PGLITE_DIR, { recursive: true, force: true });
    });

    it("onboards the dashboard's org, keeping its name and its plan's spelling", async () => {
      ({ key } = await h.onboard({ subscription_plan: 'STARTER' }, org));
      expect(await h.tenancyRow(org)).toMatchObject({
        org_name: `Dashboard ${org}`,
        plan: 'starter',
        company_name: h.companyOf(org),
        admin_email: h.emailOf(org),
        backend_onboarded: true,
      });
    });

    it('writes a new plan in the spelling the row uses', async () => {
      const changed = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        plan_name: 'PROFESSIONAL',
      });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(await h.tenancyRow(org)).toMatchObject({ plan: 'professional' });
      expect((await h.root('GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject({
        plan_name: 'PROFESSIONAL',
      });
      await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { plan_name: 'STARTER' });
      expect(await h.tenancyRow(org)).toMatchObject({ plan: 'starter' });
    });

    it("leaves the dashboard's member rows updatable, and lists them", async () => {
      const [member] = await h.db.update(
        'organization_members',
        { role: 'owner' },
        { last_active_at: new Date('2026-01-02T03:04:05Z') },
      );
      expect(member).toMatchObject({ role: 'owner', status: 'active' });
      expect((await h.root('GET', `/api/v1/organizations/${org}/members/emails`)).json()).toEqual({
        org_slug: org,
        members: [{ email: `owner@${org}.example`, name: 'Olive Owner', role: 'owner' }],
        count: 1,
      });
    });

    it("keeps the API's functions and tables from the browser's roles, and the dashboard's tables as they were", async () => {
      const sql = h.db as unknown as SqlTransactor;
      // Every function and table in the schema but the dashboard's own.
      const privileges = await sql.transaction((s) =>
        s.query<{ kind: string; name: string; role: string; allowed: boolean }>(
          `WITH objects AS (
             SELECT 'function' AS kind, p.oid::regprocedure::text AS name, p.oid
             FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace AND p.prorettype <> 'trigger'::regtype
             UNION ALL
             SELECT 'table', c.relname::text, c.oid
             FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
           )
           SELECT o.kind, o.name, r.role,
             CASE o.kind
               WHEN 'function' THEN has_function_privilege(r.role, o.oid, 'EXECUTE')
               ELSE has_table_privilege(r.role, o.oid, 'SELECT, INSERT, UPDATE, DELETE')
             END AS allowed
           FROM objects o CROSS JOIN (VALUES ('anon'), ('authenticated'), ('service_role')) AS r(role)
           ORDER BY 1, 2, 3`,
        ),
      );
      const dashboard = new Set(['organizations', 'profiles', 'organization_members', 'schema_migrations']);
      const ours = privileges.filter((p) => !dashboard.has(p.name));
      expect(ours.filter((p) => p.kind === 'function').length).toBeGreaterThanOrEqual(20);
      expect(ours.filter((p) => p.kind === 'table').map((p) => p.name)).toContain('pipeline_reservations');
      expect(ours.filter((p) => p.role !== 'service_role' && p.allowed)).toEqual([]);
      // The supabase driver's role reaches every function and table of ours (their grants, not the
      // project's defaults: the functions run with its rights).
      expect(
        ours.filter((p) => p.role === 'service_role' && !p.allowed && p.name !== 'api_schema_migrations'),
      ).toEqual([]);
      expect(privileges.filter((p) => dashboard.has(p.name) && !p.allowed)).toEqual([]);
      // PUBLIC as well: a role given nothing cannot call the quota functions.
      const [publicCall] = await sql.transaction((s) =>
        s.query<{ allowed: boolean }>(
          `SELECT bool_or(a.grantee = 0) AS allowed
           FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = 'reserve_pipeline_quota'`,
        ),
      );
      expect(publicCall).toEqual({ allowed: false });
    });

    it('reads a limit the dashboard left at 0 as not set: the plan default applies, runs are admitted', async () => {
      const starter = h.app.get<PlanLimitsTable>(PLAN_LIMITS).STARTER;
      // As the dashboard's rows hold it: its signup never writes the monthly limit.
      await h.db.update('organizations', { org_slug: org }, { pipelines_per_month_limit: 0 });
      const validate = await h.withKey(key, 'POST', `/api/v1/validator/validate/${org}`, {
        pipeline_id: 'subscription_costs',
      });
      expect(validate.statusCode, validate.body).toBe(200);
      expect(validate.json()).toMatchObject({
        valid: true,
        quota: { monthly_limit: starter.monthly_limit, pipelines_run_month: 1 },
      });
      const quota = await h.withKey(key, 'GET', `/api/v1/organizations/${org}/quota`);
      expect(quota.json()).toMatchObject({ monthlyLimit: starter.monthly_limit });
      const subscription = await h.root('GET', `/api/v1/organizations/${org}/subscription`);
      expect(subscription.json()).toMatchObject({ monthly_limit: starter.monthly_limit });
    });

    it('names the plan the quotas enforce when the dashboard left the plan NULL: STARTER', async () => {
      const starter = h.app.get<PlanLimitsTable>(PLAN_LIMITS).STARTER;
      await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { plan_name: 'PROFESSIONAL' });
      // The profile still says PROFESSIONAL; the dashboard's row no longer names a plan.
      await h.db.update(
        'organizations',
        { org_slug: org },
        { plan: null, pipelines_per_day_limit: 0, concurrent_pipelines_limit: 0 },
      );
      const quota = (await h.withKey(key, 'GET', `/api/v1/organizations/${org}/quota`)).json();
      expect(quota).toMatchObject({
        dailyLimit: starter.daily_limit,
        concurrentLimit: starter.concurrent_limit,
      });
      expect((await h.root('GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject({
        plan_name: 'STARTER',
        daily_limit: starter.daily_limit,
        concurrent_limit: starter.concurrent_limit,
      });
    });

    it("keeps that plan on a PUT without plan_name: a status change does not take the profile's plan", async () => {
      const starter = h.app.get<PlanLimitsTable>(PLAN_LIMITS).STARTER;
      // The row's plan is still NULL (the test above), the profile's PROFESSIONAL.
      const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, { status: 'ACTIVE' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ plan_name: 'STARTER', daily_limit: starter.daily_limit });
      expect((await h.tenancyRow(org)).pipelines_per_day_limit).toBe(starter.daily_limit);
      expect((await h.profileRow(org)).subscription_plan).toBe('STARTER');
      expect((await h.root('GET', `/api/v1/organizations/${org}/subscription`)).json()).toMatchObject({
        plan_name: 'STARTER',
        daily_limit: starter.daily_limit,
      });
    });
  });
}

describeAdoption('PGlite', async (org) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-adopt-'));
  await prepare(await PgliteTenancyDb.open({ dataDir: dir }), org);
  return { PGLITE_DIR: dir };
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  describeAdoption('PostgreSQL', async (org) => {
    const env = postgresTenancyEnv();
    await prepare(
      await PgTenancyDb.open({ connectionString: env.DATABASE_URL, schema: env.TENANCY_DB_SCHEMA }),
      org,
    );
    return env;
  });
});
