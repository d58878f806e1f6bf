-- A run whose reservation expired is marked FAILED in the pipeline service's run log by the stale
-- cleanup ("the quota reservation expired without a completion"). Validated again with its run id,
-- it is re-admitted and runs, but its run row stayed FAILED: the dashboard showed a running
-- pipeline as failed until it completed. The reservation function now says when it re-admitted an
-- expired run (readmitted), and the API puts back the run row the cleanup marked.
--
-- The result gains a column, so it is a function of its own: reserve_pipeline_run is 0021's
-- reserve_pipeline_quota with that column. reserve_pipeline_quota keeps its result (a changed
-- result fails the prepared statements of instances of the previous release during a rolling
-- deploy: "cached plan must not change result type") and now answers through it.

CREATE FUNCTION reserve_pipeline_run(
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
  stripe_subscription_id text, seat_limit integer, providers_limit integer,
  -- Whether the run's reservation had expired and is live again: the stale cleanup may have marked
  -- its run FAILED in the run log, which the API then puts back.
  readmitted boolean
)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_now timestamptz;
  v_oldest timestamptz;
  v_prior_id uuid;
  v_prior_date date;
  v_prior_expires timestamptz;
  v_prior_pipeline text;
  v_prior_live boolean;
  v_day date;
  v_until timestamptz;
  v_never boolean := false;
  v_prior_status text;
  v_current_status text;
  v_counted boolean;
  v_month_others integer;
BEGIN
  IF p_run_id IS NULL OR char_length(p_run_id) NOT BETWEEN 1 AND 255
     OR p_pipeline_id IS NULL OR p_pipeline_id = ''
     OR p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_now IS NULL THEN
    RAISE EXCEPTION 'reserve_pipeline_run: run id (1-255 characters), pipeline id, a positive ttl and now are required'
      USING ERRCODE = '22023';
  END IF;
  granted := false;
  replayed := false;
  readmitted := false;

  -- The lock comes first and alone: the read below must take its snapshot after it is held.
  PERFORM pg_advisory_xact_lock(20240004, hashtext(current_schema() || ':' || p_org_slug));

  -- One statement, one snapshot: a completion or expiry committing in between cannot make the
  -- RESERVED count and the past-expiry count disagree (which could under-count live runs).
  SELECT coalesce(p.plan, 'STARTER') AS plan, o.billing_status, o.trial_ends_at, o.current_period_end,
         o.stripe_subscription_id,
         coalesce(nullif(o.pipelines_per_day_limit, 0), p.daily_limit, s.daily_limit) AS daily_limit,
         coalesce(nullif(o.pipelines_per_month_limit, 0), p.monthly_limit, s.monthly_limit) AS monthly_limit,
         coalesce(nullif(o.concurrent_pipelines_limit, 0), p.concurrent_limit, s.concurrent_limit) AS concurrent_limit,
         coalesce(nullif(o.seat_limit, 0), p.seat_limit, s.seat_limit) AS seat_limit,
         coalesce(nullif(o.providers_limit, 0), p.providers_limit, s.providers_limit) AS providers_limit,
         t.now_,
         coalesce(st.reserved, 0)
           - (SELECT count(*)::integer FROM pipeline_reservations r
              WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at <= t.now_) AS live,
         u.daily_used, u.monthly_used,
         pr.reservation_id AS prior_id, pr.reservation_date AS prior_date, pr.expires_at AS prior_expires,
         pr.pipeline_id AS prior_pipeline,
         pr.status = 'RESERVED' AND pr.expires_at > t.now_ AS prior_live, pr.status AS prior_status
  INTO plan, billing_status, trial_ends_at, current_period_end, stripe_subscription_id,
       daily_limit, monthly_limit, concurrent_limit, seat_limit, providers_limit, v_now, concurrent_used,
       daily_used, monthly_used, v_prior_id, v_prior_date, v_prior_expires, v_prior_pipeline, v_prior_live,
       v_prior_status
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
  v_day := (v_now AT TIME ZONE 'UTC')::date;
  -- Whether the run already counts on today's row: a new run does not, nor an expired one reserved
  -- on an earlier day, which is admitted and counted as a new run (see the header).
  v_counted := v_prior_id IS NOT NULL AND v_prior_date = v_day;
  -- The month's runs but this one: an expired run of an earlier day of this month is in the month's
  -- count already, and moves within it.
  v_month_others := monthly_used
    - CASE WHEN v_prior_id IS NOT NULL AND NOT v_counted
                AND v_prior_date >= date_trunc('month', v_day)::date THEN 1 ELSE 0 END;

  -- A run id seen before: the same answer while its reservation is live; refused once its run
  -- completed (a new run takes a new run id); re-admitted below when it expired without completing
  -- (a run whose heartbeat lapsed asks for its slot again).
  IF v_prior_id IS NOT NULL AND (v_prior_pipeline <> p_pipeline_id OR v_prior_live
                                 OR v_prior_status IN ('SUCCESS', 'FAILED')) THEN
    reservation_id := v_prior_id;
    reservation_date := v_prior_date;
    expires_at := v_prior_expires;
    IF v_prior_pipeline <> p_pipeline_id THEN
      reason := 'RUN_ID_CONFLICT';
    ELSIF v_prior_live THEN
      granted := true;
      replayed := true;
    ELSE
      reason := 'RUN_ID_FINISHED';
    END IF;
    RETURN NEXT;
    RETURN;
  END IF;

  -- A trial runs through the UTC day it ends on (the dashboard and the subscription API store a day).
  IF billing_status NOT IN ('active', 'trialing')
     OR (billing_status = 'trialing' AND trial_ends_at IS NOT NULL
         AND (trial_ends_at AT TIME ZONE 'UTC')::date < v_day) THEN
    reason := 'SUBSCRIPTION_INACTIVE';
    RETURN NEXT;
    RETURN;
  END IF;

  -- Of the exhausted limits, name the one that frees last (never, for a limit of 0). An expired
  -- run of today already counts on it: only the concurrent limit applies to its re-admission.
  IF v_month_others >= monthly_limit AND NOT v_counted THEN
    reason := 'QUOTA_MONTHLY_EXCEEDED';
    v_never := monthly_limit = 0;
    v_until := (date_trunc('month', v_now AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  END IF;
  IF daily_used >= daily_limit AND NOT v_never AND NOT v_counted
     AND (reason IS NULL OR daily_limit = 0 OR (v_day + 1)::timestamp AT TIME ZONE 'UTC' > v_until) THEN
    reason := 'QUOTA_DAILY_EXCEEDED';
    v_never := daily_limit = 0;
    v_until := (v_day + 1)::timestamp AT TIME ZONE 'UTC';
  END IF;
  IF concurrent_used >= concurrent_limit AND NOT v_never THEN
    IF concurrent_limit > 0 THEN
      -- Runs past the limit end before a slot frees: with 3 live and a limit of 1, the 3rd.
      SELECT r.expires_at INTO v_oldest FROM pipeline_reservations r
      WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at > v_now
      ORDER BY r.expires_at LIMIT 1 OFFSET concurrent_used - concurrent_limit;
    END IF;
    IF reason IS NULL OR concurrent_limit = 0 OR v_oldest > v_until THEN
      reason := 'QUOTA_CONCURRENT_EXCEEDED';
      v_never := concurrent_limit = 0;
      v_until := v_oldest;
    END IF;
  END IF;
  IF reason IS NOT NULL THEN
    retry_after_seconds := CASE WHEN v_never THEN NULL ELSE pipeline_quota_seconds_until(v_now, v_until) END;
    RETURN NEXT;
    RETURN;
  END IF;

  IF v_prior_id IS NOT NULL THEN
    -- Re-admission. Completions and expiries do not take the org's lock: the row's lock and its
    -- latest version decide. A completion that got there first makes it a finished run.
    SELECT r.status INTO v_current_status FROM pipeline_reservations r
    WHERE r.reservation_id = v_prior_id
    FOR UPDATE;
    IF v_current_status NOT IN ('RESERVED', 'EXPIRED') THEN
      reservation_id := v_prior_id;
      reservation_date := v_prior_date;
      reason := 'RUN_ID_FINISHED';
      RETURN NEXT;
      RETURN;
    END IF;
    -- The reservation is live again. An EXPIRED one had left the RESERVED count; one still RESERVED
    -- past its expiry is in it already. Reserved today, its day's count stays as it was; reserved
    -- on an earlier day, it is counted today, as a new run, and moves to today.
    UPDATE pipeline_quota_state s
    SET clock = greatest(s.clock, v_now),
        reserved = s.reserved + CASE WHEN v_current_status = 'EXPIRED' THEN 1 ELSE 0 END
    WHERE s.org_slug = p_org_slug;
    UPDATE pipeline_reservations r
    SET status = 'RESERVED', expired_at = NULL, expiry_recorded = false,
        expires_at = v_now + p_ttl_seconds * interval '1 second',
        reservation_date = v_day,
        reserved_at = CASE WHEN v_counted THEN r.reserved_at ELSE v_now END
    WHERE r.reservation_id = v_prior_id
    RETURNING r.reservation_id, r.reservation_date, r.expires_at INTO reservation_id, reservation_date, expires_at;
    readmitted := true;
    IF NOT v_counted THEN
      -- Counted once: on today's row (below), no longer on the day it was first reserved.
      UPDATE pipeline_quota_daily d SET pipelines_run = d.pipelines_run - 1, updated_at = now()
      WHERE d.org_slug = p_org_slug AND d.usage_date = v_prior_date;
    END IF;
  ELSE
    -- Plain updates where the rows exist (an upsert that finds its row also writes a row lock to
    -- the WAL). The org's lock keeps the state row to this call.
    UPDATE pipeline_quota_state s SET clock = greatest(s.clock, v_now), reserved = s.reserved + 1
    WHERE s.org_slug = p_org_slug;
    IF NOT FOUND THEN
      INSERT INTO pipeline_quota_state (org_slug, clock, reserved) VALUES (p_org_slug, v_now, 1);
    END IF;
  END IF;

  granted := true;
  concurrent_used := concurrent_used + 1;
  IF v_counted THEN
    RETURN NEXT;
    RETURN;
  END IF;

  -- The day's row may also be created by ensure_quota_period_rows, hence its upsert.
  UPDATE pipeline_quota_daily d SET pipelines_run = d.pipelines_run + 1, updated_at = now()
  WHERE d.org_slug = p_org_slug AND d.usage_date = v_day;
  IF NOT FOUND THEN
    INSERT INTO pipeline_quota_daily AS d (org_slug, usage_date, pipelines_run) VALUES (p_org_slug, v_day, 1)
    ON CONFLICT (org_slug, usage_date) DO UPDATE SET pipelines_run = d.pipelines_run + 1, updated_at = now();
  END IF;
  IF v_prior_id IS NULL THEN
    INSERT INTO pipeline_reservations AS r (org_slug, run_id, pipeline_id, reservation_date, reserved_at, expires_at)
    VALUES (p_org_slug, p_run_id, p_pipeline_id, v_day, v_now, v_now + p_ttl_seconds * interval '1 second')
    RETURNING r.reservation_id, r.reservation_date, r.expires_at INTO reservation_id, reservation_date, expires_at;
  END IF;

  daily_used := daily_used + 1;
  monthly_used := v_month_others + 1;
  RETURN NEXT;
END
$$;

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
  plan text, billing_status text, trial_ends_at timestamptz, current_period_end timestamptz,
  stripe_subscription_id text, seat_limit integer, providers_limit integer
)
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  SELECT r.granted, r.reason, r.replayed, r.reservation_id, r.reservation_date, r.expires_at,
         r.retry_after_seconds, r.daily_used, r.daily_limit, r.monthly_used, r.monthly_limit,
         r.concurrent_used, r.concurrent_limit, r.plan, r.billing_status, r.trial_ends_at,
         r.current_period_end, r.stripe_subscription_id, r.seat_limit, r.providers_limit
  FROM reserve_pipeline_run(p_org_slug, p_run_id, p_pipeline_id, p_ttl_seconds, p_now) r
$$;

SELECT restrict_to_api(ARRAY['reserve_pipeline_run']);
