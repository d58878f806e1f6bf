-- Each claim of an idempotency key gets a token of its own. Until now the request hash was the
-- claim's token, so when a running request's claim was taken over (its instance could not renew it
-- for a whole lock period, then came back), the first request could still complete or release the
-- claim of the retry that took it over: its release deleted the retry's claim and let a third copy
-- of the request run beside the retry. Now only the current claim's holder completes, renews or
-- releases it; a superseded holder's calls answer false and change nothing.
--
-- The functions of 0002 and 0011 stay for instances of the previous release during a rolling
-- deploy (they match by request hash, as before); a later migration can drop them.

ALTER TABLE idempotency_keys ADD COLUMN claim_token uuid;

-- claim_idempotency_key, and on 'claimed' (new key, expired key, or a lapsed lock taken over) the
-- caller's token becomes the claim's, in the same transaction, under the row lock the claim took.
CREATE FUNCTION claim_idempotency_request(
  p_scope text,
  p_key text,
  p_org_slug text,
  p_request_hash text,
  p_claim_token uuid,
  p_ttl_seconds integer DEFAULT 86400,
  p_lock_seconds integer DEFAULT 300
)
RETURNS TABLE (outcome text, response_status integer, response_body jsonb)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
BEGIN
  IF p_claim_token IS NULL THEN
    RAISE EXCEPTION 'p_claim_token is required' USING ERRCODE = '22023';
  END IF;
  SELECT c.outcome, c.response_status, c.response_body INTO outcome, response_status, response_body
  FROM claim_idempotency_key(p_scope, p_key, p_org_slug, p_request_hash, p_ttl_seconds, p_lock_seconds) c;
  IF outcome = 'claimed' THEN
    UPDATE idempotency_keys k SET claim_token = p_claim_token
    WHERE k.scope = p_scope AND k.idempotency_key = p_key;
  END IF;
  RETURN NEXT;
END
$$;

-- Stores the response of the caller's claim; false when it is no longer the caller's (released,
-- pruned, expired and claimed again, taken over) or already completed.
CREATE FUNCTION complete_idempotency_claim(
  p_scope text,
  p_key text,
  p_claim_token uuid,
  p_status integer,
  p_body jsonb
)
RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  UPDATE idempotency_keys k
  SET state = 'completed',
      response_status = p_status,
      response_body = p_body,
      locked_until = NULL
  WHERE k.scope = p_scope
    AND k.idempotency_key = p_key
    AND k.claim_token = p_claim_token
    AND k.state = 'in_flight';
  RETURN FOUND;
END
$$;

-- Extends the lock of the caller's in-flight claim, never shortening it; false when the claim is
-- no longer the caller's.
CREATE FUNCTION renew_idempotency_claim(
  p_scope text,
  p_key text,
  p_claim_token uuid,
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
  UPDATE idempotency_keys k
  SET locked_until = greatest(k.locked_until, now() + p_lock_seconds * interval '1 second')
  WHERE k.scope = p_scope
    AND k.idempotency_key = p_key
    AND k.claim_token = p_claim_token
    AND k.state = 'in_flight'
    AND k.expires_at > now();
  RETURN FOUND;
END
$$;

-- Forgets the caller's in-flight claim (its request failed on the server's side), so a retry runs
-- again; never another request's claim.
CREATE FUNCTION release_idempotency_claim(p_scope text, p_key text, p_claim_token uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  DELETE FROM idempotency_keys k
  WHERE k.scope = p_scope
    AND k.idempotency_key = p_key
    AND k.claim_token = p_claim_token
    AND k.state = 'in_flight';
  RETURN FOUND;
END
$$;

SELECT restrict_to_api(ARRAY[
  'claim_idempotency_request', 'complete_idempotency_claim', 'renew_idempotency_claim',
  'release_idempotency_claim'
]);
