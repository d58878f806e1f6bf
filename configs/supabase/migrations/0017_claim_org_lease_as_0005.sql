-- claim_org_lease as 0005 defines it, on every database. 0015 as first released (db5cf36) redefined
-- it to take the org's advisory lock first; its rewrite (48c14e8) moved that lock to the removal's
-- look at the running writes and left claim_org_lease alone, so a database migrated by that first
-- text kept the redefinition: every lease claim (keys, onboarding, imports) took a lock no other
-- database takes. On every other database this changes nothing.

CREATE OR REPLACE FUNCTION claim_org_lease(p_org_slug text, p_operation text, p_holder uuid, p_ttl_seconds integer)
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
