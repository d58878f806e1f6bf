-- The stale cleanup's aged-run sweep fails the open runs of every org that no live reservation
-- names. It read the live run ids without their orgs (live_reservations, 0012), while a run id is
-- the pipeline service's and unique only within its org (the reservations' key is org and run id):
-- org A's run left open for hours was spared whenever org B had a live run of the same id. This
-- answers each live run's org beside its run id, as two arrays in the same order in one row (one
-- row for the reason 0012 gives: PostgREST caps a function's rows at its max-rows).
-- live_reservations stays for instances of the previous release during a rolling deploy.

CREATE FUNCTION live_reservation_runs()
RETURNS TABLE (reservations integer, org_slugs text[], run_ids text[])
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
  SELECT count(*)::integer,
         coalesce(array_agg(org_slug ORDER BY reservation_id), '{}'),
         coalesce(array_agg(run_id ORDER BY reservation_id), '{}')
  FROM pipeline_reservations
  WHERE status = 'RESERVED'
$$;

SELECT restrict_to_api(ARRAY['live_reservation_runs']);
