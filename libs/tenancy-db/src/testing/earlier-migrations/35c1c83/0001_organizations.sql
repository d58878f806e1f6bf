-- Organizations: one row per tenant, holding its plan, billing state and limits.
-- Applied as is to Supabase, PostgreSQL 15 and PGlite (Postgres 18): only features both share,
-- and no schema prefix, so the objects land in the first schema of search_path.
--
-- On the Supabase project of the system this API replaces, the dashboard's own migrations created
-- `organizations` already: its display name is org_name, its plan free text ('starter', a Stripe
-- plan id), its limits defaulted (pipelines_per_month_limit to 0), with its own trigger and
-- policies. This file adopts such a table instead of failing: it is left as it is, constraints
-- and all, and gains only the columns of the API it lacks (company_name, admin_email), nullable.
-- On a new database the result is exactly that of this file's first text (migrations.ts accepts
-- that text's checksum as the same migration).

-- On a database in use (the dashboard's), wait at most this long for its tables' locks, rather
-- than queue every query of the dashboard behind this migration.
SET LOCAL lock_timeout = '10s';

-- Shared by every table with an updated_at column. An empty search_path keeps the function
-- independent of the caller's (Supabase's linter flags mutable ones); now() is in pg_catalog.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE IF NOT EXISTS organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_slug text NOT NULL
    CONSTRAINT organizations_org_slug_key UNIQUE
    CONSTRAINT organizations_org_slug_check CHECK (org_slug ~ '^[a-z0-9_]{3,50}$'),
  company_name text NOT NULL,
  admin_email text,
  plan text NOT NULL DEFAULT 'STARTER'
    CONSTRAINT organizations_plan_check CHECK (plan IN ('STARTER', 'PROFESSIONAL', 'SCALE', 'ENTERPRISE')),
  -- Stripe subscription statuses, as Stripe spells them.
  billing_status text NOT NULL DEFAULT 'active'
    CONSTRAINT organizations_billing_status_check CHECK (billing_status IN (
      'trialing', 'active', 'past_due', 'canceled', 'incomplete', 'incomplete_expired', 'paused', 'unpaid'
    )),
  -- NULL means "the plan's default" (configs/plans.json); 999999 means unlimited.
  pipelines_per_day_limit integer
    CONSTRAINT organizations_pipelines_per_day_limit_check CHECK (pipelines_per_day_limit >= 0),
  pipelines_per_month_limit integer
    CONSTRAINT organizations_pipelines_per_month_limit_check CHECK (pipelines_per_month_limit >= 0),
  concurrent_pipelines_limit integer
    CONSTRAINT organizations_concurrent_pipelines_limit_check CHECK (concurrent_pipelines_limit >= 0),
  seat_limit integer
    CONSTRAINT organizations_seat_limit_check CHECK (seat_limit >= 0),
  providers_limit integer
    CONSTRAINT organizations_providers_limit_check CHECK (providers_limit >= 0),
  trial_ends_at timestamptz,
  current_period_end timestamptz,
  stripe_subscription_id text,
  backend_onboarded boolean NOT NULL DEFAULT false,
  backend_onboarded_at timestamptz,
  -- Whether the limits above have been pushed to the backend's quota records.
  backend_quota_synced boolean NOT NULL DEFAULT false,
  backend_api_key_fingerprint text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- An adopted table: the API's columns it lacks, nullable (its rows were written without them).
-- Each is a no-op on the table created above.
ALTER TABLE organizations
  ADD COLUMN IF NOT EXISTS company_name text,
  ADD COLUMN IF NOT EXISTS admin_email text,
  ADD COLUMN IF NOT EXISTS plan text,
  ADD COLUMN IF NOT EXISTS billing_status text DEFAULT 'active',
  ADD COLUMN IF NOT EXISTS pipelines_per_day_limit integer,
  ADD COLUMN IF NOT EXISTS pipelines_per_month_limit integer,
  ADD COLUMN IF NOT EXISTS concurrent_pipelines_limit integer,
  ADD COLUMN IF NOT EXISTS seat_limit integer,
  ADD COLUMN IF NOT EXISTS providers_limit integer,
  ADD COLUMN IF NOT EXISTS trial_ends_at timestamptz,
  ADD COLUMN IF NOT EXISTS current_period_end timestamptz,
  ADD COLUMN IF NOT EXISTS stripe_subscription_id text,
  ADD COLUMN IF NOT EXISTS backend_onboarded boolean DEFAULT false,
  ADD COLUMN IF NOT EXISTS backend_onboarded_at timestamptz,
  ADD COLUMN IF NOT EXISTS backend_quota_synced boolean DEFAULT false,
  ADD COLUMN IF NOT EXISTS backend_api_key_fingerprint text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE OR REPLACE TRIGGER organizations_set_updated_at
  BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- On Supabase, PostgREST exposes tables to the anon and authenticated roles. With RLS on and no
-- policy, only the service role (BYPASSRLS) and the owner reach the rows: the API is the only reader.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
