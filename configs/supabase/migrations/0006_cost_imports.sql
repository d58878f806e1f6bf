-- Cost import reports (POST and GET /api/v1/admin/organizations/{org}/costs/import), kept here so
-- that every API instance answers for an import another instance runs (replicas behind a load
-- balancer), and a restart keeps them. The instance running an import rewrites its row at each
-- step and at least every few seconds (heartbeat_at): a row left queued or processing whose
-- heartbeat stopped belongs to an instance that died mid-import, and is reported as interrupted
-- (its swap into the cost table is one statement, so the previous data stands). Applied as is to
-- Supabase, PostgreSQL 15 and PGlite.

CREATE TABLE cost_imports (
  import_id uuid PRIMARY KEY,
  -- No foreign key: an import needs the org's warehouse cost table, not a tenancy row. Offboarding
  -- deletes the org's reports.
  org_slug text NOT NULL,
  status text NOT NULL CONSTRAINT cost_imports_status_check
    CHECK (status IN ('queued', 'processing', 'completed', 'completed_with_errors', 'failed')),
  -- The report as GET returns it (counts, column mappings, the first row errors, the failure).
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  finished_at timestamptz
);

-- The org's reports, for pruning its old ones and for offboarding.
CREATE INDEX cost_imports_org_slug_idx ON cost_imports (org_slug, created_at);

-- As for organizations: with RLS on and no policy, only the service role reaches the rows.
ALTER TABLE cost_imports ENABLE ROW LEVEL SECURITY;

-- Forgets the org's finished reports created before p_before; returns how many.
CREATE FUNCTION prune_cost_imports(p_org_slug text, p_before timestamptz)
RETURNS integer
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  WITH gone AS (
    DELETE FROM cost_imports c
    WHERE c.org_slug = p_org_slug AND c.created_at < p_before AND c.finished_at IS NOT NULL
    RETURNING 1
  )
  SELECT count(*)::integer FROM gone
$$;
