-- The API's own tables and functions are the API's only. On Supabase, the public schema's default
-- privileges grant every new table and function to PUBLIC (functions), anon and authenticated, the
-- roles PostgREST uses for the dashboard's browser and its users; the anon key is public by design.
-- Until now only RLS without policies (tables) and the invoker's rights (functions) kept those roles
-- from reading or moving quota, leases and idempotency records; a policy added to one of these
-- tables later, or a function made SECURITY DEFINER, would have opened them to any browser.
--
-- Here every function and table the API's migrations created loses those grants; service_role
-- (what the supabase driver calls with) and the owner (the postgres driver, the migrations) keep
-- theirs. The dashboard's tables (organizations, profiles, organization_members) and functions keep
-- their grants: the dashboard reads them through its RLS policies. Roles that do not exist (anywhere
-- but Supabase) are skipped. A later migration creating a function or table calls
-- restrict_to_api with their names (see configs/supabase/README.md); a test fails when one does not.

CREATE OR REPLACE FUNCTION restrict_to_api(p_functions text[], p_tables text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  browser_roles text[];
  has_service_role constant boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role');
  fn regprocedure;
  tbl regclass;
  r text;
BEGIN
  SELECT coalesce(array_agg(rolname), '{}') INTO browser_roles
  FROM pg_roles WHERE rolname IN ('anon', 'authenticated');

  -- Every overload of each name, in the schema the migrations run in.
  FOR fn IN
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = ANY (p_functions)
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
    FOREACH r IN ARRAY browser_roles LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', fn, r);
    END LOOP;
    IF has_service_role THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO service_role', fn);
    END IF;
  END LOOP;

  FOR tbl IN
    SELECT c.oid::regclass FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY (p_tables)
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', tbl);
    FOREACH r IN ARRAY browser_roles LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', tbl, r);
    END LOOP;
  END LOOP;
END
$$;

SELECT restrict_to_api(
  ARRAY[
    'restrict_to_api',
    'claim_idempotency_key', 'complete_idempotency_key', 'release_idempotency_key',
    'prune_idempotency_keys', 'delete_idempotency_keys_for_org',
    'pipeline_quota_limits', 'pipeline_quota_lock', 'pipeline_quota_live',
    'pipeline_quota_seconds_until', 'reserve_pipeline_quota', 'complete_pipeline_run',
    'heartbeat_pipeline_run', 'expire_stale_reservations', 'record_reservation_expiry',
    'ensure_quota_period_rows', 'get_pipeline_quota', 'prune_pipeline_reservations',
    'claim_org_lease', 'release_org_lease', 'prune_cost_imports'],
  ARRAY[
    'idempotency_keys', 'plan_limits', 'pipeline_quota_state', 'pipeline_quota_daily',
    'pipeline_reservations', 'org_operation_leases', 'cost_imports', 'api_schema_migrations']);
