-- A claim is renewed while its request runs. Its lock was a fixed 5 minutes, shorter than the
-- org lifecycle lease (15 minutes) that onboarding runs under: an onboarding slower than the lock
-- let a retry of the same request take the claim over, which then answered 409 and released the
-- key, so the first request's 200 (the only copy of the new org's API key) was never stored. The
-- instance running a request now extends its claim's lock every few seconds until the handler
-- returns; the lock itself can be short, so a crashed instance's keys free soon.

CREATE FUNCTION renew_idempotency_key(
  p_scope text,
  p_key text,
  p_request_hash text,
  p_lock_seconds integer
)
RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  IF p_lock_seconds IS NULL OR p_lock_seconds <= 0 THEN
    RAISE EXCEPTION 'p_lock_seconds must be positive' USING ERRCODE = '22023';
  END IF;
  -- Only the claim's own request (its hash is the token), and only while in flight: a completed,
  -- released or expired and re-claimed key is not this request's any more.
  UPDATE idempotency_keys k
  SET locked_until = greatest(k.locked_until, now() + p_lock_seconds * interval '1 second')
  WHERE k.scope = p_scope
    AND k.idempotency_key = p_key
    AND k.request_hash = p_request_hash
    AND k.state = 'in_flight'
    AND k.expires_at > now();
  RETURN FOUND;
END
$$;

SELECT restrict_to_api(ARRAY['renew_idempotency_key']);
