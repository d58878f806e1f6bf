-- Current hierarchy entities of the org (end_date IS NULL): all 24 columns of org_hierarchy.
-- The reference creates this as a materialized view; it is an ordinary view here because the
-- embedded engine has no materialized views and the data volume does not need them.
SELECT
  id,
  org_slug,
  entity_id,
  entity_name,
  level,
  level_code,
  parent_id,
  path,
  path_ids,
  path_names,
  depth,
  owner_id,
  owner_name,
  owner_email,
  description,
  metadata,
  sort_order,
  is_active,
  created_at,
  created_by,
  updated_at,
  updated_by,
  version,
  end_date
FROM `{central}.org_hierarchy`
WHERE org_slug = '{org_slug}'
  AND end_date IS NULL
