-- The supabase driver calls as service_role, and every SQL function of the API runs with its
-- caller's rights: service_role needs SELECT, INSERT, UPDATE and DELETE on the tables they and the
-- driver touch. Until now it had them only from the project's default privileges, which granted
-- every new table in public to anon, authenticated and service_role. Supabase stopped that for new
-- projects on 30 May 2026 and for every project on 30 October 2026 ("Tables not exposed to Data and
-- GraphQL API automatically":
-- https://supabase.com/changelog/45329-breaking-change-tables-not-exposed-to-data-and-graphql-api-automatically):
-- on such a project every reservation, completion, idempotency claim and lease failed with
-- "permission denied for table" (42501), and the API could not start (its plan defaults are read
-- at start-up).
--
-- restrict_to_api now also grants each table it restricts to service_role, so a later migration
-- that ends with it (configs/supabase/README.md) grants its new tables too; here it is called again
-- for every table of the API. The dashboard's tables (organizations, profiles, organization_members,
-- made by 0001 and 0003 where the dashboard had not made them) are granted to service_role only:
-- their grants to the browser's roles stay the dashboard's business. Where service_role does not
-- exist (anywhere but Supabase) nothing is granted.

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
    IF has_service_role THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO service_role', tbl);
    END IF;
  END LOOP;
END
$$;

SELECT restrict_to_api(
  '{}',
  ARRAY[
    'idempotency_keys', 'plan_limits', 'pipeline_quota_state', 'pipeline_quota_daily',
    'pipeline_reservations', 'org_operation_leases', 'cost_imports']);

DO $$
DECLARE
  tbl regclass;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    RETURN;
  END IF;
  FOR tbl IN
    SELECT c.oid::regclass FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
      AND c.relname IN ('organizations', 'profiles', 'organization_members')
  LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO service_role', tbl);
  END LOOP;
END
$$;
