-- Organizations: one row per tenant, holding its plan, billing state and limits.
-- Applied as is to Supabase, PostgreSQL 15 and PGlite (Postgres 18): only features both share,
-- and no schema prefix, so the objects land in the first schema of search_path.

-- Shared by every table with an updated_at column. An empty search_path keeps the function
-- independent of the caller's (Supabase's linter flags mutable ones); now() is in pg_catalog.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE organizations (
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

CREATE TRIGGER organizations_set_updated_at
  BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- On Supabase, PostgREST exposes tables to the anon and authenticated roles. With RLS on and no
-- policy, only the service role (BYPASSRLS) and the owner reach the rows: the API is the only reader.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
