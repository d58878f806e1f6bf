-- Two reports read as one row each, so that every driver sees the same shape. Each row has two
-- columns: PostgREST answers a one-column table as a set of bare values, like a scalar.
--
-- 1. The daily reset's report. ensure_quota_period_rows answers a row per org, and PostgREST caps
--    a function's rows at its max-rows (Supabase: 1000) without saying so: past 1000 orgs,
--    /quota/reset-daily created every org's row but reported only the first 1000. It is now one
--    row holding a jsonb array. The set-returning function stays for instances of the previous
--    release during a rolling deploy.
-- 2. The live run ids. live_reservation_run_ids (0010) returned a bare text[], which PostgREST
--    sends as a JSON array, the same body as a function returning a set of text: the supabase
--    driver took each id for a row, so the stale cleanup's aged-run sweep got one id as a string
--    and failed whenever a run was live. Replaced by a one-row table.

CREATE FUNCTION ensure_quota_period_report(p_now timestamptz DEFAULT now())
RETURNS TABLE (usage_date date, orgs jsonb)
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  SELECT (p_now AT TIME ZONE 'UTC')::date, coalesce(
    jsonb_agg(jsonb_build_object('org_slug', r.org_slug, 'usage_date', r.usage_date, 'created', r.created)
              ORDER BY r.org_slug),
    '[]'::jsonb)
  FROM ensure_quota_period_rows(p_now) r
$$;

CREATE FUNCTION live_reservations()
RETURNS TABLE (reservations integer, run_ids text[])
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
  SELECT count(*)::integer, coalesce(array_agg(run_id ORDER BY reservation_id), '{}')
  FROM pipeline_reservations
  WHERE status = 'RESERVED'
$$;

DROP FUNCTION live_reservation_run_ids();

SELECT restrict_to_api(ARRAY['ensure_quota_period_report', 'live_reservations']);
