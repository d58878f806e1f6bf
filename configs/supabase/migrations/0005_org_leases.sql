-- Leases on one operation of one org (its creation or removal, the issue or rotation of its API
-- key), so two requests on different API instances cannot both pass a "does it exist yet" check
-- and then both write. The warehouse has no unique constraints or transactions, so the claim lives
-- here. A lease ends when its holder releases it or at its expiry (a crashed holder), whichever
-- comes first. Applied as is to Supabase, PostgreSQL 15 and PGlite.

CREATE TABLE org_operation_leases (
  -- No foreign key: an org being created has no organizations row yet.
  org_slug text NOT NULL,
  operation text NOT NULL CONSTRAINT org_operation_leases_operation_check CHECK (char_length(operation) BETWEEN 1 AND 64),
  holder uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT org_operation_leases_pkey PRIMARY KEY (org_slug, operation)
);

ALTER TABLE org_operation_leases ENABLE ROW LEVEL SECURITY;

-- Takes the lease unless another holder has a live one. The upsert's row lock makes concurrent
-- claims queue, and each re-checks the row the previous one left: exactly one wins.
-- retry_after_seconds: when a refused caller may try again (the live lease's remaining time).
CREATE FUNCTION claim_org_lease(p_org_slug text, p_operation text, p_holder uuid, p_ttl_seconds integer)
RETURNS TABLE (claimed boolean, retry_after_seconds integer)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
BEGIN
  IF p_org_slug IS NULL OR p_operation IS NULL OR p_holder IS NULL OR p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 THEN
    RAISE EXCEPTION 'claim_org_lease: org, operation, holder and a positive ttl are required' USING ERRCODE = '22023';
  END IF;
  INSERT INTO org_operation_leases AS l (org_slug, operation, holder, expires_at)
  VALUES (p_org_slug, p_operation, p_holder, clock_timestamp() + p_ttl_seconds * interval '1 second')
  ON CONFLICT (org_slug, operation) DO UPDATE
    SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder;
  IF FOUND THEN
    RETURN QUERY SELECT true, NULL::integer;
    RETURN;
  END IF;
  RETURN QUERY
  SELECT false, greatest(1, ceil(extract(epoch FROM (l.expires_at - clock_timestamp()))))::integer
  FROM org_operation_leases l WHERE l.org_slug = p_org_slug AND l.operation = p_operation;
END
$$;

-- Ends the caller's own lease (a lease that expired and went to another holder is left alone).
CREATE FUNCTION release_org_lease(p_org_slug text, p_operation text, p_holder uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  DELETE FROM org_operation_leases l
  WHERE l.org_slug = p_org_slug AND l.operation = p_operation AND l.holder = p_holder;
  RETURN FOUND;
END
$$;
