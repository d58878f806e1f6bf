-- Pipeline quotas: plan defaults, per-day usage and run reservations, with the SQL functions that
-- are the only writers. Applied as is to Supabase, PostgreSQL 15 and PGlite (Postgres 18): only
-- features both share, and no schema prefix, so the objects land in the first schema of search_path.
--
-- Every function is one statement for the caller, so one transaction on every driver (PGlite, pg,
-- PostgREST's rpc), and pins the search_path it was created with (tests migrate into schemas of
-- their own; Supabase's linter accepts it). Dates are UTC days whatever the session's TimeZone.
--
-- Why it cannot over-admit: every reservation and heartbeat of an org first takes the org's
-- transaction-scoped advisory lock, so they run one at a time per org, and under it each statement
-- sees everything committed before it (READ COMMITTED). Each admission moves the org's clock
-- (pipeline_quota_state) to the `now` it decided at, and later calls decide at no earlier time, so
-- a heartbeat cannot revive a reservation an admission already saw expire: "live" (RESERVED and
-- expires_at > now) only shrinks between two admissions. Completion and expiry only release (the
-- reservation's row lock makes each happen once), so they do not take the org's lock. The lock
-- writes nothing, so a refusal is a read-only transaction (no WAL flush at commit), which keeps a
-- burst of refused calls cheap.
--
-- Cost per call stays flat however many runs an org has: the org's RESERVED count is kept on its
-- state row, and only the RESERVED ones past expiry (normally none: completions and the cleanup job
-- move them on) are counted to get the live number.

-- Plan defaults for limits an organizations row leaves NULL. configs/plans.json is the source: the
-- rows below are its values at the time of writing, and the API upserts the file's values at start.
CREATE TABLE plan_limits (
  plan text PRIMARY KEY
    CONSTRAINT plan_limits_plan_check CHECK (plan IN ('STARTER', 'PROFESSIONAL', 'SCALE', 'ENTERPRISE')),
  daily_limit integer NOT NULL CONSTRAINT plan_limits_daily_limit_check CHECK (daily_limit >= 0),
  monthly_limit integer NOT NULL CONSTRAINT plan_limits_monthly_limit_check CHECK (monthly_limit >= 0),
  concurrent_limit integer NOT NULL
    CONSTRAINT plan_limits_concurrent_limit_check CHECK (concurrent_limit >= 0),
  seat_limit integer NOT NULL CONSTRAINT plan_limits_seat_limit_check CHECK (seat_limit >= 0),
  providers_limit integer NOT NULL CONSTRAINT plan_limits_providers_limit_check CHECK (providers_limit >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO plan_limits (plan, daily_limit, monthly_limit, concurrent_limit, seat_limit, providers_limit) VALUES
  ('STARTER', 6, 180, 1, 2, 3),
  ('PROFESSIONAL', 25, 750, 2, 6, 6),
  ('SCALE', 100, 3000, 5, 11, 10),
  ('ENTERPRISE', 999999, 999999, 999999, 999999, 999999);

-- One row per org: its clock, the latest `now` an admission decided at, so a call that started
-- earlier but got the org's lock later cannot act on an older view of time; and how many of its
-- reservations are RESERVED (every change of status out of RESERVED updates it in the same
-- transaction).
CREATE TABLE pipeline_quota_state (
  org_slug text PRIMARY KEY
    CONSTRAINT pipeline_quota_state_org_slug_fkey REFERENCES organizations (org_slug)
    ON DELETE CASCADE ON UPDATE CASCADE,
  clock timestamptz NOT NULL,
  reserved integer NOT NULL DEFAULT 0 CONSTRAINT pipeline_quota_state_reserved_check CHECK (reserved >= 0)
);

-- Runs counted per org and UTC day. The month's usage is the sum of its days: nothing carries it.
CREATE TABLE pipeline_quota_daily (
  org_slug text NOT NULL
    CONSTRAINT pipeline_quota_daily_org_slug_fkey REFERENCES organizations (org_slug)
    ON DELETE CASCADE ON UPDATE CASCADE,
  usage_date date NOT NULL,
  -- Counted against the daily and monthly limits: +1 at reservation, -1 when the run FAILED.
  pipelines_run integer NOT NULL DEFAULT 0 CONSTRAINT pipeline_quota_daily_run_check CHECK (pipelines_run >= 0),
  pipelines_succeeded integer NOT NULL DEFAULT 0,
  pipelines_failed integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pipeline_quota_daily_pkey PRIMARY KEY (org_slug, usage_date)
);

CREATE TABLE pipeline_reservations (
  reservation_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The org's state row, not organizations: the foreign key check locks the referenced row, and the
  -- reservation has just updated the state row (the org's row would be one more page and WAL record
  -- per reservation). Deleting or renaming the org cascades through the state row.
  org_slug text NOT NULL
    CONSTRAINT pipeline_reservations_org_slug_fkey REFERENCES pipeline_quota_state (org_slug)
    ON DELETE CASCADE ON UPDATE CASCADE,
  -- The caller's run id (the pipeline service's pipeline_logging_id): a retry reuses it.
  run_id text NOT NULL CONSTRAINT pipeline_reservations_run_id_check CHECK (char_length(run_id) BETWEEN 1 AND 255),
  pipeline_id text NOT NULL,
  -- The UTC day the run is counted on, whenever it completes.
  reservation_date date NOT NULL,
  status text NOT NULL DEFAULT 'RESERVED',
  reserved_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  completed_at timestamptz,
  -- Set when an expiry moves the run out of RESERVED, and only then: a completion reads from it
  -- whether the run still held a slot.
  expired_at timestamptz,
  -- Whether the API has marked the central run row FAILED after this reservation expired.
  expiry_recorded boolean NOT NULL DEFAULT false,
  CONSTRAINT pipeline_reservations_org_slug_run_id_key UNIQUE (org_slug, run_id),
  -- One constraint for both rules: each is parsed and planned again by every statement that writes.
  CONSTRAINT pipeline_reservations_status_check CHECK (
    CASE status
      WHEN 'RESERVED' THEN expired_at IS NULL
      WHEN 'EXPIRED' THEN expired_at IS NOT NULL
      ELSE status IN ('SUCCESS', 'FAILED')
    END
  )
);

-- RESERVED runs by expiry: the ones past it (few), the next to free, and the cleanup's scan.
CREATE INDEX pipeline_reservations_live_idx ON pipeline_reservations (org_slug, expires_at)
  WHERE status = 'RESERVED';
CREATE INDEX pipeline_reservations_unrecorded_idx ON pipeline_reservations (expired_at)
  WHERE status = 'EXPIRED' AND NOT expiry_recorded;
-- With the live index, the legacy completion that names only the day. Not of RESERVED runs as
-- well: every reservation would pay for one more index entry.
CREATE INDEX pipeline_reservations_expired_idx ON pipeline_reservations (org_slug, reservation_date, reserved_at)
  WHERE status = 'EXPIRED';

-- As for organizations: with RLS on and no policy, only the service role reaches the rows.
ALTER TABLE plan_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_quota_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_quota_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_reservations ENABLE ROW LEVEL SECURITY;

-- An org's effective limits: its own, else its plan's, else STARTER's (a plan name written by
-- another system). No row when the org is unknown.
CREATE FUNCTION pipeline_quota_limits(p_org_slug text)
RETURNS TABLE (
  org_slug text, plan text, billing_status text, trial_ends_at timestamptz,
  current_period_end timestamptz, stripe_subscription_id text,
  daily_limit integer, monthly_limit integer, concurrent_limit integer,
  seat_limit integer, providers_limit integer
)
LANGUAGE plpgsql
STABLE
SET search_path FROM CURRENT
AS $$
BEGIN
  -- plpgsql rather than sql: it keeps the query plan for the session instead of planning per call.
  RETURN QUERY
  SELECT o.org_slug, coalesce(p.plan, 'STARTER'), o.billing_status, o.trial_ends_at,
         o.current_period_end, o.stripe_subscription_id,
         coalesce(o.pipelines_per_day_limit, p.daily_limit, s.daily_limit),
         coalesce(o.pipelines_per_month_limit, p.monthly_limit, s.monthly_limit),
         coalesce(o.concurrent_pipelines_limit, p.concurrent_limit, s.concurrent_limit),
         coalesce(o.seat_limit, p.seat_limit, s.seat_limit),
         coalesce(o.providers_limit, p.providers_limit, s.providers_limit)
  FROM organizations o
  LEFT JOIN plan_limits p ON p.plan = upper(o.plan)
  LEFT JOIN plan_limits s ON s.plan = 'STARTER'
  WHERE o.org_slug = p_org_slug;
END
$$;

-- The org's admission lock, held to the end of the transaction. Two-key advisory locks are their
-- own key space (the migration runner uses the one-key form); the schema is part of the key so
-- schemas of one database (tests) do not queue for each other.
CREATE FUNCTION pipeline_quota_lock(p_org_slug text)
RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(20240004, hashtext(current_schema() || ':' || p_org_slug));
END
$$;

-- The org's effective now (never before its clock), its live reservations at that instant (RESERVED
-- and not past expiry) and the earliest expiry among them. Call it under the org's lock.
CREATE FUNCTION pipeline_quota_live(p_org_slug text, p_now timestamptz)
RETURNS TABLE (now_ timestamptz, live integer, oldest timestamptz)
LANGUAGE plpgsql
STABLE
SET search_path FROM CURRENT
AS $$
BEGIN
  RETURN QUERY
  WITH st AS (
    SELECT greatest(coalesce(max(s.clock), p_now), p_now) AS at_, coalesce(max(s.reserved), 0) AS reserved
    FROM pipeline_quota_state s WHERE s.org_slug = p_org_slug
  )
  SELECT st.at_,
         st.reserved - (SELECT count(*)::integer FROM pipeline_reservations r
                        WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at <= st.at_),
         (SELECT r.expires_at FROM pipeline_reservations r
          WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at > st.at_
          ORDER BY r.expires_at LIMIT 1)
  FROM st;
END
$$;

-- Seconds from p_now until p_until, rounded up, at least 1.
CREATE FUNCTION pipeline_quota_seconds_until(p_now timestamptz, p_until timestamptz)
RETURNS integer
LANGUAGE sql
IMMUTABLE
SET search_path FROM CURRENT
AS $$
  SELECT greatest(1, ceil(extract(epoch FROM (p_until - p_now)))::integer)
$$;

-- Admits a pipeline run when the org is under its daily, monthly and concurrent limits, and records
-- it: a reservation keyed by (org, run id), counted on today's (UTC) row. A retry with the same run
-- id gets the first grant back and takes nothing more; a refusal takes nothing and is not recorded,
-- so the same run id may try again once the limit frees. reason on a refusal: ORG_NOT_FOUND,
-- SUBSCRIPTION_INACTIVE, RUN_ID_CONFLICT (the run id was granted for another pipeline), or the
-- exhausted limit that frees last (QUOTA_MONTHLY_EXCEEDED, QUOTA_DAILY_EXCEEDED,
-- QUOTA_CONCURRENT_EXCEEDED, preferred in that order on a tie) with the seconds until it frees
-- (NULL when it never does: a limit of 0).
--
-- The hot path: the lock, then one read for every input of the decision, then the writes. The read
-- holds pipeline_quota_limits and pipeline_quota_live written out (each nested call would be one
-- more statement and search_path switch); keep them in step. Only a concurrent refusal reads the
-- earliest live expiry (its retry time), in one more statement: admissions do not pay for it.
CREATE FUNCTION reserve_pipeline_quota(
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
  v_oldest timestamptz;
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
         u.daily_used, u.monthly_used,
         pr.reservation_id AS prior_id, pr.reservation_date AS prior_date, pr.expires_at AS prior_expires,
         pr.pipeline_id AS prior_pipeline
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
    ELSE
      granted := true;
      replayed := true;
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
  IF concurrent_used >= concurrent_limit AND NOT v_never THEN
    -- Still under the org's lock, so no admission came in between: a completion committed since
    -- the read can only make it later, or leave none (the slot is free now: retry in 1 second).
    SELECT r.expires_at INTO v_oldest FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug AND r.status = 'RESERVED' AND r.expires_at > v.now_
    ORDER BY r.expires_at LIMIT 1;
    IF reason IS NULL OR concurrent_limit = 0 OR v_oldest > v_until THEN
      reason := 'QUOTA_CONCURRENT_EXCEEDED';
      v_never := concurrent_limit = 0;
      v_until := v_oldest;
    END IF;
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

-- Records a run's outcome (SUCCESS or FAILED) once: the reservation stops holding a concurrent
-- slot, and a FAILED run gives its daily and monthly count back, on the day it was reserved. The
-- run is named by p_reservation_id, else p_run_id, else (the legacy call that only knows the day)
-- the oldest open reservation of p_reservation_date. outcome: 'completed', 'already_completed'
-- (nothing changes; status and completed_at are the first completion's) or 'not_found'.
CREATE FUNCTION complete_pipeline_run(
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
    -- Two such calls at once take two different runs instead of queueing for the same one.
    SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug AND r.reservation_date = p_reservation_date
      AND (r.status = 'RESERVED' OR r.status = 'EXPIRED')
    ORDER BY r.reserved_at, r.reservation_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED;
  ELSE
    RAISE EXCEPTION 'complete_pipeline_run: name the run (reservation id, run id or reservation date)'
      USING ERRCODE = '22023';
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

-- Extends a live run's reservation to at least now + p_ttl_seconds (a long run's keep-alive).
-- outcome: 'extended', 'not_live' (completed or expired: status says which) or 'not_found'.
CREATE FUNCTION heartbeat_pipeline_run(
  p_org_slug text,
  p_run_id text,
  p_ttl_seconds integer DEFAULT 1800,
  p_now timestamptz DEFAULT now(),
  p_reservation_id uuid DEFAULT NULL
)
RETURNS TABLE (outcome text, reservation_id uuid, run_id text, status text, expires_at timestamptz)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_res pipeline_reservations%ROWTYPE;
  v_now timestamptz;
  v_expires timestamptz;
BEGIN
  IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_now IS NULL
     OR (p_run_id IS NULL AND p_reservation_id IS NULL) THEN
    RAISE EXCEPTION 'heartbeat_pipeline_run: a run or reservation id and a positive ttl are required'
      USING ERRCODE = '22023';
  END IF;

  SELECT * INTO v_res FROM pipeline_reservations r
  WHERE r.org_slug = p_org_slug
    AND (p_reservation_id IS NULL OR r.reservation_id = p_reservation_id)
    AND (p_run_id IS NULL OR r.run_id = p_run_id);
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, p_reservation_id, p_run_id, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;

  -- Same lock and clock as admissions: extending a run an admission already saw expire would
  -- bring back the slot that admission was given.
  PERFORM pipeline_quota_lock(p_org_slug);
  SELECT c.now_ INTO v_now FROM pipeline_quota_live(p_org_slug, p_now) c;

  UPDATE pipeline_reservations r
  SET expires_at = greatest(r.expires_at, v_now + p_ttl_seconds * interval '1 second')
  WHERE r.reservation_id = v_res.reservation_id AND r.status = 'RESERVED' AND r.expires_at > v_now
  RETURNING r.expires_at INTO v_expires;
  IF FOUND THEN
    RETURN QUERY SELECT 'extended'::text, v_res.reservation_id, v_res.run_id, 'RESERVED'::text, v_expires;
    RETURN;
  END IF;

  SELECT * INTO v_res FROM pipeline_reservations r WHERE r.reservation_id = v_res.reservation_id;
  RETURN QUERY SELECT 'not_live'::text, v_res.reservation_id, v_res.run_id,
    CASE WHEN v_res.status = 'RESERVED' THEN 'EXPIRED' ELSE v_res.status END, v_res.expires_at;
END
$$;

-- Marks reservations past their expiry EXPIRED (they stopped counting at expiry already) and
-- returns the expired ones whose central run row is not yet marked FAILED: these, and those an
-- earlier call returned but the API could not record (up to p_limit, oldest first).
CREATE FUNCTION expire_stale_reservations(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (
  org_slug text, run_id text, reservation_id uuid, pipeline_id text, reservation_date date,
  expires_at timestamptz, newly_expired boolean
)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  v_orgs text[];
BEGIN
  IF p_now IS NULL OR p_limit IS NULL OR p_limit <= 0 THEN
    RAISE EXCEPTION 'expire_stale_reservations: now and a positive limit are required' USING ERRCODE = '22023';
  END IF;

  -- One sweep at a time: two would lock the same rows in different orders.
  PERFORM pg_advisory_xact_lock(20240004, 0);
  WITH expired AS (
    UPDATE pipeline_reservations r SET status = 'EXPIRED', expired_at = p_now
    WHERE r.status = 'RESERVED' AND r.expires_at <= p_now
    RETURNING r.reservation_id, r.org_slug
  )
  SELECT coalesce(array_agg(e.reservation_id), '{}'), coalesce(array_agg(e.org_slug), '{}')
  INTO v_ids, v_orgs FROM expired e;

  UPDATE pipeline_quota_state s SET reserved = s.reserved - e.n
  FROM (SELECT o AS org_slug, count(*)::integer AS n FROM unnest(v_orgs) o GROUP BY o) e
  WHERE s.org_slug = e.org_slug;

  RETURN QUERY
  SELECT r.org_slug, r.run_id, r.reservation_id, r.pipeline_id, r.reservation_date, r.expires_at,
         r.reservation_id = ANY (v_ids)
  FROM pipeline_reservations r
  WHERE r.status = 'EXPIRED' AND NOT r.expiry_recorded
  ORDER BY r.expired_at, r.reservation_id
  LIMIT p_limit;
END
$$;

-- After the API marked the central run rows of these expired reservations FAILED.
CREATE FUNCTION record_reservation_expiry(p_reservation_ids jsonb)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_count integer;
BEGIN
  UPDATE pipeline_reservations r SET expiry_recorded = true
  WHERE r.reservation_id IN (SELECT (jsonb_array_elements_text(p_reservation_ids))::uuid)
    AND r.status = 'EXPIRED';
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

-- The daily and monthly reset: creates the day's usage row of every org (idempotent; usage rows are
-- also created by the first reservation of a day, and the month's usage is derived from its days,
-- so this is bookkeeping, never a precondition). One row per org, created or already there.
CREATE FUNCTION ensure_quota_period_rows(p_now timestamptz DEFAULT now())
RETURNS TABLE (org_slug text, usage_date date, created boolean)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_day date := (p_now AT TIME ZONE 'UTC')::date;
BEGIN
  RETURN QUERY
  WITH inserted AS (
    INSERT INTO pipeline_quota_daily AS d (org_slug, usage_date)
    SELECT o.org_slug, v_day FROM organizations o
    ON CONFLICT (org_slug, usage_date) DO NOTHING
    RETURNING d.org_slug
  )
  SELECT o.org_slug, v_day, i.org_slug IS NOT NULL
  FROM organizations o LEFT JOIN inserted i ON i.org_slug = o.org_slug
  ORDER BY o.org_slug;
END
$$;

-- An org's limits and usage at p_now, for the quota read; no row when the org is unknown.
CREATE FUNCTION get_pipeline_quota(p_org_slug text, p_now timestamptz DEFAULT now())
RETURNS TABLE (
  org_slug text, plan text, billing_status text, trial_ends_at timestamptz,
  current_period_end timestamptz, stripe_subscription_id text,
  daily_limit integer, monthly_limit integer, concurrent_limit integer,
  seat_limit integer, providers_limit integer,
  usage_date date, daily_used integer, daily_succeeded integer, daily_failed integer,
  monthly_used integer, concurrent_used integer, oldest_live_expires_at timestamptz
)
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
  SELECT l.org_slug, l.plan, l.billing_status, l.trial_ends_at, l.current_period_end, l.stripe_subscription_id,
         l.daily_limit, l.monthly_limit, l.concurrent_limit, l.seat_limit, l.providers_limit,
         (p_now AT TIME ZONE 'UTC')::date,
         coalesce(u.daily_used, 0), coalesce(u.daily_succeeded, 0), coalesce(u.daily_failed, 0),
         coalesce(u.monthly_used, 0), c.live, c.oldest
  FROM pipeline_quota_limits(p_org_slug) l
  CROSS JOIN LATERAL (
    SELECT sum(d.pipelines_run) FILTER (WHERE d.usage_date = (p_now AT TIME ZONE 'UTC')::date)::integer AS daily_used,
           sum(d.pipelines_succeeded) FILTER (WHERE d.usage_date = (p_now AT TIME ZONE 'UTC')::date)::integer AS daily_succeeded,
           sum(d.pipelines_failed) FILTER (WHERE d.usage_date = (p_now AT TIME ZONE 'UTC')::date)::integer AS daily_failed,
           sum(d.pipelines_run)::integer AS monthly_used
    FROM pipeline_quota_daily d
    WHERE d.org_slug = l.org_slug
      AND d.usage_date >= date_trunc('month', p_now AT TIME ZONE 'UTC')::date
      AND d.usage_date < (date_trunc('month', p_now AT TIME ZONE 'UTC') + interval '1 month')::date
  ) u
  CROSS JOIN LATERAL pipeline_quota_live(l.org_slug, p_now) c
$$;

-- Retention: forgets finished reservations of days before p_before (their run ids may be reused).
CREATE FUNCTION prune_pipeline_reservations(p_before date)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_count integer;
BEGIN
  DELETE FROM pipeline_reservations r
  WHERE r.reservation_date < p_before
    AND (r.status IN ('SUCCESS', 'FAILED') OR (r.status = 'EXPIRED' AND r.expiry_recorded));
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;
