-- Expired write leases are deleted. A write's lease ('write:<holder>', 0015) has a key of its own,
-- so no later claim takes its row over as with the other operations: a release that failed (a
-- crashed instance, a connection cut during a failover) left a dead row for good, one per such
-- write. Now a write's claim, and a removal's look at the running writes, first delete the org's
-- expired write leases, under the org's advisory lock they already take. An expired lease guards
-- nothing (every reader skips it), and a holder that renews one late inserts it again, as before.

CREATE OR REPLACE FUNCTION prune_org_write_leases(p_org_slug text)
RETURNS void
LANGUAGE sql
SET search_path FROM CURRENT
AS $$
  DELETE FROM org_operation_leases l
  WHERE l.org_slug = p_org_slug AND l.operation LIKE 'write:%' AND l.expires_at <= clock_timestamp();
$$;

CREATE OR REPLACE FUNCTION claim_org_write_lease(p_org_slug text, p_holder uuid, p_ttl_seconds integer)
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
  PERFORM prune_org_write_leases(p_org_slug);
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

-- The removal's look, pruning too: an org removed after a write's release failed keeps no dead row
-- (no write of it is claimed any more).
CREATE OR REPLACE FUNCTION org_writes_running(p_org_slug text)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
  last_expiry timestamptz;
BEGIN
  PERFORM org_lease_lock(p_org_slug);
  PERFORM prune_org_write_leases(p_org_slug);
  SELECT max(l.expires_at) INTO last_expiry FROM org_operation_leases l
  WHERE l.org_slug = p_org_slug AND l.operation LIKE 'write:%' AND l.expires_at > clock_timestamp();
  IF last_expiry IS NULL THEN
    RETURN 0;
  END IF;
  RETURN greatest(1, ceil(extract(epoch FROM (last_expiry - clock_timestamp()))))::integer;
END
$$;

SELECT restrict_to_api(ARRAY['prune_org_write_leases', 'claim_org_write_lease', 'org_writes_running']);
