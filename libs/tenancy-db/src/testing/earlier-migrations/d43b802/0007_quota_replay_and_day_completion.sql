-- Two fixes to the functions of 0004 (re-created here: an applied migration is never edited).
--
-- reserve_pipeline_quota: a run id is replayed only while its reservation is live. A run id whose
-- run completed or expired used to be granted again (replayed) without any limit being checked, so
-- reusing a pipeline_logging_id or an Idempotency-Key started runs outside the quota. It is now
-- refused with RUN_ID_FINISHED and takes nothing.
--
-- complete_pipeline_run: the legacy completion that names only the day closes a live reservation
-- of that day first, then one past its expiry. It used to close the oldest, often a run that had
-- crashed and expired, leaving the completing run's slot held until its own expiry. A completion
-- that names nothing (the pipeline service's cleanup of stuck runs, which the reference took as
-- today's) takes the latest run past its expiry, and never a live one; it used to be refused.

CREATE OR REPLACE FUNCTION reserve_pipeline_quota(
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
  -- The subscription the decision was made under, so a caller needs no second read.
  plan text, billing_status text, trial_ends_at timestamptz, current_period_end timestamptz,
  stripe_subscription_id text, seat_limit integer, providers_limit integer
)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v record;
  v_day date;
  v_until timestamptz;
  v_never boolean := false;
BEGIN
  IF p_run_id IS NULL OR char_length(p_run_id) NOT BETWEEN 1 AND 255
     OR p_pipeline_id IS NULL OR p_pipeline_id = ''
     OR p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_now IS NULL THEN
    RAISE EXCEPTION 'reserve_pipeline_quota: run id (1-255 characters), pipeline id, a positive ttl and now are required'
      USING ERRCODE = '22023';
  END IF;
  granted := false;
  replayed := false;

  -- The lock comes first and alone: the read below must take its snapshot after it is held.
  PERFORM pg_advisory_xact_lock(20240004, hashtext(current_schema() || ':' || p_org_slug));

  -- One statement, one snapshot: a completion or expiry committing in between cannot make the
  -- RESERVED count and the past-expiry count disagree (which could under-count live runs).
  SELECT coalesce(p.plan, 'STARTER') AS plan, o.billing_status, o.trial_ends_at, o.current_period_end,
         o.stripe_subscription_id,
         coalesce(o.pipelines_per_day_limit, p.daily_limit, s.daily_limit) AS daily_limit,
         coalesce(o.pipelines_per_month_limit, p.monthly_limit, s.monthly_limit) AS monthly_limit,
         coalesce(o.concurrent_pipelines_limit, p.concurrent_limit, s.concurrent_limit) AS concurrent_limit,
         coalesce(o.seat_limit, p.seat_limit, s.seat_limit) AS seat_limit,
         coalesce(o.providers_limit, p.providers_limit, s.providers_limit) AS providers_limit,
         t.now_,
         coalesce(st.reserved, 0)
           - (SELECT count(*)::integer FROM pipeline_reservations r
              WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at <= t.now_) AS live,
         (SELECT r.expires_at FROM pipeline_reservations r
          WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at > t.now_
          ORDER BY r.expires_at LIMIT 1) AS oldest,
         u.daily_used, u.monthly_used,
         pr.reservation_id AS prior_id, pr.reservation_date AS prior_date, pr.expires_at AS prior_expires,
         pr.pipeline_id AS prior_pipeline,
         pr.status = 'RESERVED' AND pr.expires_at > t.now_ AS prior_live
  INTO v
  FROM organizations o
  LEFT JOIN plan_limits p ON p.plan = upper(o.plan)
  LEFT JOIN plan_limits s ON s.plan = 'STARTER'
  LEFT JOIN pipeline_quota_state st ON st.org_slug = p_org_slug
  CROSS JOIN LATERAL (SELECT greatest(st.clock, p_now) AS now_) t
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(d.pipelines_run) FILTER (WHERE d.usage_date = (t.now_ AT TIME ZONE 'UTC')::date), 0)::integer
             AS daily_used,
           coalesce(sum(d.pipelines_run), 0)::integer AS monthly_used
    FROM pipeline_quota_daily d
    WHERE d.org_slug = p_org_slug
      AND d.usage_date >= date_trunc('month', t.now_ AT TIME ZONE 'UTC')::date
      AND d.usage_date < (date_trunc('month', t.now_ AT TIME ZONE 'UTC') + interval '1 month')::date
  ) u
  LEFT JOIN pipeline_reservations pr ON pr.org_slug = p_org_slug AND pr.run_id = p_run_id
  WHERE o.org_slug = p_org_slug;
  IF NOT FOUND THEN
    reason := 'ORG_NOT_FOUND';
    RETURN NEXT;
    RETURN;
  END IF;
  plan := v.plan;
  billing_status := v.billing_status;
  trial_ends_at := v.trial_ends_at;
  current_period_end := v.current_period_end;
  stripe_subscription_id := v.stripe_subscription_id;
  seat_limit := v.seat_limit;
  providers_limit := v.providers_limit;
  daily_limit := v.daily_limit;
  monthly_limit := v.monthly_limit;
  concurrent_limit := v.concurrent_limit;
  daily_used := v.daily_used;
  monthly_used := v.monthly_used;
  concurrent_used := v.live;
  v_day := (v.now_ AT TIME ZONE 'UTC')::date;

  IF v.prior_id IS NOT NULL THEN
    reservation_id := v.prior_id;
    reservation_date := v.prior_date;
    expires_at := v.prior_expires;
    IF v.prior_pipeline <> p_pipeline_id THEN
      reason := 'RUN_ID_CONFLICT';
    ELSIF v.prior_live THEN
      granted := true;
      replayed := true;
    ELSE
      -- Completed or expired: it holds no slot any more, so granting it again would start a run
      -- outside every limit. A new run takes a new run id.
      reason := 'RUN_ID_FINISHED';
    END IF;
    RETURN NEXT;
    RETURN;
  END IF;

  -- A trial runs through the UTC day it ends on (the dashboard and the subscription API store a day).
  IF v.billing_status NOT IN ('active', 'trialing')
     OR (v.billing_status = 'trialing' AND v.trial_ends_at IS NOT NULL
         AND (v.trial_ends_at AT TIME ZONE 'UTC')::date < v_day) THEN
    reason := 'SUBSCRIPTION_INACTIVE';
    RETURN NEXT;
    RETURN;
  END IF;

  -- Of the exhausted limits, name the one that frees last (never, for a limit of 0).
  IF monthly_used >= monthly_limit THEN
    reason := 'QUOTA_MONTHLY_EXCEEDED';
    v_never := monthly_limit = 0;
    v_until := (date_trunc('month', v.now_ AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  END IF;
  IF daily_used >= daily_limit AND NOT v_never
     AND (reason IS NULL OR daily_limit = 0 OR (v_day + 1)::timestamp AT TIME ZONE 'UTC' > v_until) THEN
    reason := 'QUOTA_DAILY_EXCEEDED';
    v_never := daily_limit = 0;
    v_until := (v_day + 1)::timestamp AT TIME ZONE 'UTC';
  END IF;
  IF concurrent_used >= concurrent_limit AND NOT v_never
     AND (reason IS NULL OR concurrent_limit = 0 OR v.oldest > v_until) THEN
    reason := 'QUOTA_CONCURRENT_EXCEEDED';
    v_never := concurrent_limit = 0;
    v_until := v.oldest;
  END IF;
  IF reason IS NOT NULL THEN
    retry_after_seconds := CASE WHEN v_never THEN NULL ELSE pipeline_quota_seconds_until(v.now_, v_until) END;
    RETURN NEXT;
    RETURN;
  END IF;

  -- Plain updates where the rows exist (an upsert that finds its row also writes a row lock to the
  -- WAL). The org's lock keeps the state row to this call; the day's row may also be created by
  -- ensure_quota_period_rows, hence its upsert.
  UPDATE pipeline_quota_state s SET clock = greatest(s.clock, v.now_), reserved = s.reserved + 1
  WHERE s.org_slug = p_org_slug;
  IF NOT FOUND THEN
    INSERT INTO pipeline_quota_state (org_slug, clock, reserved) VALUES (p_org_slug, v.now_, 1);
  END IF;
  UPDATE pipeline_quota_daily d SET pipelines_run = d.pipelines_run + 1, updated_at = now()
  WHERE d.org_slug = p_org_slug AND d.usage_date = v_day;
  IF NOT FOUND THEN
    INSERT INTO pipeline_quota_daily AS d (org_slug, usage_date, pipelines_run) VALUES (p_org_slug, v_day, 1)
    ON CONFLICT (org_slug, usage_date) DO UPDATE SET pipelines_run = d.pipelines_run + 1, updated_at = now();
  END IF;
  INSERT INTO pipeline_reservations AS r (org_slug, run_id, pipeline_id, reservation_date, reserved_at, expires_at)
  VALUES (p_org_slug, p_run_id, p_pipeline_id, v_day, v.now_, v.now_ + p_ttl_seconds * interval '1 second')
  RETURNING r.reservation_id, r.reservation_date, r.expires_at INTO reservation_id, reservation_date, expires_at;

  granted := true;
  daily_used := daily_used + 1;
  monthly_used := monthly_used + 1;
  concurrent_used := concurrent_used + 1;
  RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION complete_pipeline_run(
  p_org_slug text,
  p_run_id text,
  p_status text,
  p_now timestamptz DEFAULT now(),
  p_reservation_id uuid DEFAULT NULL,
  p_reservation_date date DEFAULT NULL
)
RETURNS TABLE (
  outcome text, reservation_id uuid, run_id text, pipeline_id text, reservation_date date,
  status text, completed_at timestamptz
)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_id uuid;
  v_res record;
BEGIN
  IF p_status IS NULL OR p_status NOT IN ('SUCCESS', 'FAILED') OR p_now IS NULL THEN
    RAISE EXCEPTION 'complete_pipeline_run: p_status must be SUCCESS or FAILED' USING ERRCODE = '22023';
  END IF;

  IF p_reservation_id IS NOT NULL THEN
    v_id := p_reservation_id;
  ELSIF p_run_id IS NOT NULL THEN
    SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug AND r.run_id = p_run_id;
  ELSIF p_reservation_date IS NOT NULL THEN
    -- Two such calls at once take two different runs instead of queueing for the same one. A live
    -- run first: the caller is a run that is still going, and one past its expiry is most likely
    -- one that crashed (it holds no slot; closing it instead would leave the caller's slot taken).
    SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug AND r.reservation_date = p_reservation_date
      AND (r.status = 'RESERVED' OR r.status = 'EXPIRED')
    ORDER BY r.status = 'RESERVED' AND r.expires_at > p_now DESC, r.reserved_at, r.reservation_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED;
  ELSE
    -- Nothing names the run: the pipeline service's cleanup of its stuck runs reports them so. It
    -- takes the latest run past its expiry (the one that got stuck), never a live one, whose slot
    -- a guess must not take away.
    SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug
      AND ((r.status = 'RESERVED' AND r.expires_at <= p_now) OR r.status = 'EXPIRED')
    ORDER BY r.reserved_at DESC, r.reservation_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED;
  END IF;

  -- The row lock of the UPDATE makes the completion happen once: a concurrent completion or expiry
  -- is waited for, and the status test is made again on the row it left. expired_at is set exactly
  -- when an expiry moved the run out of RESERVED (the status check), so it tells whether the run
  -- still held a slot.
  UPDATE pipeline_reservations r SET status = p_status, completed_at = p_now
  WHERE r.reservation_id = v_id AND r.org_slug = p_org_slug AND (p_run_id IS NULL OR r.run_id = p_run_id)
    AND r.status IN ('RESERVED', 'EXPIRED')
  RETURNING r.reservation_id, r.run_id, r.pipeline_id, r.reservation_date, r.expired_at IS NULL AS held_slot
  INTO v_res;
  IF FOUND THEN
    IF v_res.held_slot THEN
      UPDATE pipeline_quota_state s SET reserved = s.reserved - 1 WHERE s.org_slug = p_org_slug;
    END IF;
    UPDATE pipeline_quota_daily d
    SET pipelines_run = d.pipelines_run - CASE WHEN p_status = 'FAILED' THEN 1 ELSE 0 END,
        pipelines_succeeded = d.pipelines_succeeded + CASE WHEN p_status = 'SUCCESS' THEN 1 ELSE 0 END,
        pipelines_failed = d.pipelines_failed + CASE WHEN p_status = 'FAILED' THEN 1 ELSE 0 END,
        updated_at = now()
    WHERE d.org_slug = p_org_slug AND d.usage_date = v_res.reservation_date;

    outcome := 'completed';
    reservation_id := v_res.reservation_id;
    run_id := v_res.run_id;
    pipeline_id := v_res.pipeline_id;
    reservation_date := v_res.reservation_date;
    status := p_status;
    completed_at := p_now;
    RETURN NEXT;
    RETURN;
  END IF;

  -- Completed already (possibly by the call that just made this one wait), or no such run.
  SELECT r.reservation_id, r.run_id, r.pipeline_id, r.reservation_date, r.status, r.completed_at INTO v_res
  FROM pipeline_reservations r
  WHERE r.reservation_id = v_id AND r.org_slug = p_org_slug AND (p_run_id IS NULL OR r.run_id = p_run_id)
    AND r.status IN ('SUCCESS', 'FAILED');
  IF FOUND THEN
    outcome := 'already_completed';
    reservation_id := v_res.reservation_id;
    run_id := v_res.run_id;
    pipeline_id := v_res.pipeline_id;
    reservation_date := v_res.reservation_date;
    status := v_res.status;
    completed_at := v_res.completed_at;
  ELSE
    outcome := 'not_found';
    run_id := p_run_id;
    reservation_date := p_reservation_date;
  END IF;
  RETURN NEXT;
END
$$;
