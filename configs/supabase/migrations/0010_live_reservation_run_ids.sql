-- The run ids of every reservation still RESERVED, as one array: the stale cleanup keeps their runs
-- out of its sweep of runs left open. Read as one value rather than as table rows, which PostgREST
-- caps at its max-rows (Supabase: 1000) and which change while they are paged through.

CREATE FUNCTION live_reservation_run_ids()
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
  SELECT coalesce(array_agg(run_id ORDER BY reservation_id), '{}')
  FROM pipeline_reservations
  WHERE status = 'RESERVED'
$$;

SELECT restrict_to_api(ARRAY['live_reservation_run_ids']);
