-- Configuration writes of an org (its locale, its subscription, its API keys) against its removal.
-- A write checked that the org exists and then wrote its rows and an audit entry; an offboarding
-- running meanwhile deleted the org's rows between the two, so the write's rows (an audit entry, a
-- re-inserted organizations row) outlived the org and a later org of the same slug inherited them.
--
-- Now each such write holds a lease of its own, operation 'write:<holder>', while it runs (many
-- writes of one org at once are fine), and it is refused while the org's 'lifecycle' lease (its
-- creation or removal) is live. Removal, holding 'lifecycle', waits until no write lease is live
-- before it deletes anything. Both claims take one transaction-scoped advisory lock per org, so a
-- write and a removal starting at the same moment are ordered: either the write's lease is visible
-- to the removal's wait, or the removal's lease refuses the write.

CREATE OR REPLACE FUNCTION org_lease_lock(p_org_slug text)
RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  SELECT pg_advisory_xact_lock(hashtextextended('org_operation_leases:' || p_org_slug, 0));
$$;

-- As in 0005, with the org's lock taken first (see above).
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
  PERFORM org_lease_lock(p_org_slug);
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

-- A write's own lease ('write:<holder>'), unless the org is being created or removed: then refused,
-- with the seconds until that lease ends at the latest. Renewed and released through
-- claim_org_lease and release_org_lease with the same operation and holder.
CREATE FUNCTION claim_org_write_lease(p_org_slug text, p_holder uuid, p_ttl_seconds integer)
RETURNS TABLE (claimed boolean, retry_after_seconds integer)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  busy_until timestamptz;
BEGIN
  IF p_org_slug IS NULL OR p_holder IS NULL OR p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 THEN
    RAISE EXCEPTION 'claim_org_write_lease: org, holder and a positive ttl are required' USING ERRCODE = '22023';
  END IF;
  PERFORM org_lease_lock(p_org_slug);
  SELECT l.expires_at INTO busy_until FROM org_operation_leases l
  WHERE l.org_slug = p_org_slug AND l.operation = 'lifecycle' AND l.expires_at > clock_timestamp();
  IF FOUND THEN
    RETURN QUERY SELECT false, greatest(1, ceil(extract(epoch FROM (busy_until - clock_timestamp()))))::integer;
    RETURN;
  END IF;
  INSERT INTO org_operation_leases AS l (org_slug, operation, holder, expires_at)
  VALUES (p_org_slug, 'write:' || p_holder, p_holder, clock_timestamp() + p_ttl_seconds * interval '1 second')
  ON CONFLICT (org_slug, operation) DO UPDATE SET expires_at = excluded.expires_at;
  RETURN QUERY SELECT true, NULL::integer;
END
$$;

-- Seconds until the org's last live write lease ends at the latest (0: no write is running), for a
-- removal holding the lifecycle lease: no new write can start, so it only has to wait for these.
CREATE FUNCTION org_writes_running(p_org_slug text)
RETURNS integer
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  SELECT CASE WHEN max(l.expires_at) IS NULL THEN 0
    ELSE greatest(1, ceil(extract(epoch FROM (max(l.expires_at) - clock_timestamp()))))::integer END
  FROM org_operation_leases l
  WHERE l.org_slug = p_org_slug AND l.operation LIKE 'write:%' AND l.expires_at > clock_timestamp();
$$;

SELECT restrict_to_api(ARRAY['org_lease_lock', 'claim_org_lease', 'claim_org_write_lease', 'org_writes_running']);
