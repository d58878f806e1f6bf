-- Idempotency keys (Stripe semantics): the first response to a key is kept for 24 hours and
-- replayed to retries of the same request; a different request under the same key is refused.
-- Applied as is to Supabase, PostgreSQL 15 and PGlite (Postgres 18): only features both share,
-- and no schema prefix, so the objects land in the first schema of search_path.
--
-- Each function is one statement for the caller, so one transaction on every driver (PGlite, pg,
-- PostgREST's rpc). They pin the search_path they were created with: the table stays unqualified
-- (tests migrate into schemas of their own) and Supabase's linter accepts them.

CREATE TABLE idempotency_keys (
  -- Whose key it is: `org:{slug}` for an org API key, `root` for the root key.
  scope text NOT NULL,
  idempotency_key text NOT NULL
    CONSTRAINT idempotency_keys_idempotency_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  -- The org the request concerns (not always the caller's: the root key acts for any org), so that
  -- offboarding an org removes its stored responses.
  org_slug text,
  -- sha256 of method, path, query and canonical JSON body; also the claim's token.
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'in_flight'
    CONSTRAINT idempotency_keys_state_check CHECK (state IN ('in_flight', 'completed')),
  response_status integer,
  response_body jsonb,
  -- While in flight: past this instant the claim is taken to belong to a crashed instance.
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, idempotency_key),
  CONSTRAINT idempotency_keys_completed_check CHECK (state <> 'completed' OR response_status IS NOT NULL)
);

CREATE INDEX idempotency_keys_org_slug_idx ON idempotency_keys (org_slug);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- As for organizations: with RLS on and no policy, only the service role reaches the rows.
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;

-- outcome: 'claimed' (run the request, then complete or release), 'replay' (send the stored
-- response), 'mismatch' (the key was used for another request), 'in_flight' (another claim holds it).
CREATE FUNCTION claim_idempotency_key(
  p_scope text,
  p_key text,
  p_org_slug text,
  p_request_hash text,
  p_ttl_seconds integer DEFAULT 86400,
  p_lock_seconds integer DEFAULT 300
)
RETURNS TABLE (outcome text, response_status integer, response_body jsonb)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_row idempotency_keys%ROWTYPE;
BEGIN
  IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_lock_seconds IS NULL OR p_lock_seconds <= 0 THEN
    RAISE EXCEPTION 'p_ttl_seconds and p_lock_seconds must be positive' USING ERRCODE = '22023';
  END IF;

  -- A concurrent release or prune can delete the row between the insert and the lock: try again.
  LOOP
    -- Waits for a concurrent uncommitted claim of the same key, then conflicts (or inserts if it
    -- rolled back): of simultaneous claims exactly one inserts.
    INSERT INTO idempotency_keys AS k
      (scope, idempotency_key, org_slug, request_hash, state, locked_until, expires_at)
    VALUES (
      p_scope, p_key, p_org_slug, p_request_hash, 'in_flight',
      now() + p_lock_seconds * interval '1 second',
      now() + p_ttl_seconds * interval '1 second'
    )
    ON CONFLICT (scope, idempotency_key) DO NOTHING;
    IF FOUND THEN
      RETURN QUERY SELECT 'claimed'::text, NULL::integer, NULL::jsonb;
      RETURN;
    END IF;

    SELECT * INTO v_row FROM idempotency_keys k
    WHERE k.scope = p_scope AND k.idempotency_key = p_key
    FOR UPDATE;
    EXIT WHEN FOUND;
  END LOOP;

  -- An expired key is a new key: the old request and its response are forgotten.
  IF v_row.expires_at <= now() THEN
    UPDATE idempotency_keys k
    SET org_slug = p_org_slug,
        request_hash = p_request_hash,
        state = 'in_flight',
        response_status = NULL,
        response_body = NULL,
        locked_until = now() + p_lock_seconds * interval '1 second',
        created_at = now(),
        expires_at = now() + p_ttl_seconds * interval '1 second'
    WHERE k.scope = p_scope AND k.idempotency_key = p_key;
    RETURN QUERY SELECT 'claimed'::text, NULL::integer, NULL::jsonb;
    RETURN;
  END IF;

  IF v_row.request_hash <> p_request_hash THEN
    RETURN QUERY SELECT 'mismatch'::text, NULL::integer, NULL::jsonb;
    RETURN;
  END IF;

  IF v_row.state = 'completed' THEN
    RETURN QUERY SELECT 'replay'::text, v_row.response_status, v_row.response_body;
    RETURN;
  END IF;

  IF v_row.locked_until > now() THEN
    RETURN QUERY SELECT 'in_flight'::text, NULL::integer, NULL::jsonb;
    RETURN;
  END IF;

  -- The holder's lock lapsed (its instance crashed or lost the database): this request takes over.
  UPDATE idempotency_keys k
  SET locked_until = now() + p_lock_seconds * interval '1 second'
  WHERE k.scope = p_scope AND k.idempotency_key = p_key;
  RETURN QUERY SELECT 'claimed'::text, NULL::integer, NULL::jsonb;
END
$$;

-- Stores the response of an in-flight claim; false when the claim is gone (released, pruned,
-- expired and re-claimed for another request) or already completed.
CREATE FUNCTION complete_idempotency_key(
  p_scope text,
  p_key text,
  p_request_hash text,
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
    AND k.request_hash = p_request_hash
    AND k.state = 'in_flight';
  RETURN FOUND;
END
$$;

-- Forgets an in-flight claim whose request failed on the server's side, so a retry runs again.
CREATE FUNCTION release_idempotency_key(p_scope text, p_key text, p_request_hash text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  DELETE FROM idempotency_keys k
  WHERE k.scope = p_scope
    AND k.idempotency_key = p_key
    AND k.request_hash = p_request_hash
    AND k.state = 'in_flight';
  RETURN FOUND;
END
$$;

CREATE FUNCTION prune_idempotency_keys()
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_count integer;
BEGIN
  DELETE FROM idempotency_keys k WHERE k.expires_at <= now();
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

CREATE FUNCTION delete_idempotency_keys_for_org(p_org_slug text)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  v_count integer;
BEGIN
  DELETE FROM idempotency_keys k WHERE k.org_slug = p_org_slug;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;
