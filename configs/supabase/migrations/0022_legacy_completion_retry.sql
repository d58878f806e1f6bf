-- A completion naming only its day (reservation_date, as the pipeline service sends it) closes
-- a run of that day, and a retry of it (the pipeline service retries a completion whose answer it
-- did not get: a timeout or a connection lost after the first call committed) closed another:
-- while the org had a second live run that day, the retry ended it, its slot freed while it still
-- ran and its own completion then closing a third run or finding none. A completion of this form
-- now records that it was one (completed_by_day), and such a call with the same outcome for the
-- same org and day within 60 seconds of one (the pipeline service retries within seconds of the
-- failed attempt's timeout) is taken as its retry: answered already_completed with the run the
-- first closed, closing nothing. Two runs of one org and day reporting the same outcome this way
-- within 60 seconds are then taken as one: the second keeps its slot until its reservation
-- expires (never a slot freed early). A completion naming its run is exactly-once as before.
-- These calls are serialised per org and day, so a retry sent while the first is still running
-- waits for it. Re-created here (an applied migration is never edited) with only that change.

ALTER TABLE pipeline_reservations ADD COLUMN completed_by_day boolean NOT NULL DEFAULT false;

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
    -- One at a time per org and day, so that a retry sent while the call it repeats is still
    -- running sees that call's completion (a key space of its own: see pipeline_quota_lock).
    PERFORM pg_advisory_xact_lock(20240022, hashtext(current_schema() || ':' || p_org_slug || ':' || p_reservation_date::text));
    -- A retry: the same outcome of the same day, named the same way, shortly after one closed a
    -- run. It is answered with that run (already completed) instead of closing another.
    SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
    WHERE r.org_slug = p_org_slug AND r.reservation_date = p_reservation_date AND r.completed_by_day
      AND r.status = p_status AND r.completed_at <= p_now AND r.completed_at > p_now - interval '60 seconds'
    ORDER BY r.completed_at DESC, r.reservation_id
    LIMIT 1;
    IF NOT FOUND THEN
      -- A live run first: the caller is a run that is still going, and one past its expiry is most
      -- likely one that crashed (it holds no slot; closing it instead would leave the caller's slot
      -- taken). SKIP LOCKED: a completion by run id holding a run's lock is not waited for.
      SELECT r.reservation_id INTO v_id FROM pipeline_reservations r
      WHERE r.org_slug = p_org_slug AND r.reservation_date = p_reservation_date
        AND (r.status = 'RESERVED' OR r.status = 'EXPIRED')
      ORDER BY r.status = 'RESERVED' AND r.expires_at > p_now DESC, r.reserved_at, r.reservation_id
      LIMIT 1
      FOR UPDATE SKIP LOCKED;
    END IF;
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
  UPDATE pipeline_reservations r
  SET status = p_status, completed_at = p_now,
      completed_by_day = p_reservation_id IS NULL AND p_run_id IS NULL AND p_reservation_date IS NOT NULL
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
