-- A run id granted before is answered the same grant while its reservation is live
-- (reserve_pipeline_run's replay comes before its subscription check). But for a pipeline that
-- needs an integration, the API checks the subscription and the integration before it reserves: a
-- retry of a granted run after the org's trial ended at UTC midnight, or after its integration was
-- removed, was refused (SUBSCRIPTION_INACTIVE, INTEGRATION_NOT_CONFIGURED) while the reservation
-- kept its slot until it expired. On such a refusal the API now asks whether the run id holds a
-- live reservation of that pipeline, and answers its grant when it does.
--
-- replay_pipeline_run answers reserve_pipeline_run's row when the org's reservation of the run id
-- for that pipeline is live, and no row otherwise, reserving nothing: a new run, or one whose
-- reservation expired or completed, stays subject to every check. The org's lock (which guards its
-- clock) and a share lock on the reservation row (which a completion, heartbeat or expiry must
-- wait for) keep the reservation live from the check to the answer, so the answer is the replay.

CREATE FUNCTION replay_pipeline_run(
  p_org_slug text,
  p_run_id text,
  p_pipeline_id text,
  p_ttl_seconds integer DEFAULT 1800,
  p_now timestamptz DEFAULT now()
)
RETURNS TABLE (
  granted boolean, reason text, replayed boolean,
  reservation_id uuid, reservation_date date, expires_at timestamptz, retry_after_seconds integer,
  daily_used integer, daily_limit integer, monthly_used integer, monthly_limit integer,
  concurrent_used integer, concurrent_limit integer,
  plan text, billing_status text, trial_ends_at timestamptz, current_period_end timestamptz,
  stripe_subscription_id text, seat_limit integer, providers_limit integer,
  readmitted boolean
)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
BEGIN
  IF p_now IS NULL THEN
    RAISE EXCEPTION 'replay_pipeline_run: now is required' USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(20240004, hashtext(current_schema() || ':' || p_org_slug));
  PERFORM 1 FROM pipeline_reservations r
  WHERE r.org_slug = p_org_slug AND r.run_id = p_run_id AND r.pipeline_id = p_pipeline_id
    AND r.status = 'RESERVED'
    AND r.expires_at > greatest((SELECT st.clock FROM pipeline_quota_state st WHERE st.org_slug = p_org_slug), p_now)
  FOR SHARE OF r;
  IF FOUND THEN
    RETURN QUERY SELECT * FROM reserve_pipeline_run(p_org_slug, p_run_id, p_pipeline_id, p_ttl_seconds, p_now);
  END IF;
END
$$;

SELECT restrict_to_api(ARRAY['replay_pipeline_run']);
